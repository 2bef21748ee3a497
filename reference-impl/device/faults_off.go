//go:build !ihsmfaults

package device

// FaultInjection reports whether this build can inject faults: false, since
// it was built without the ihsmfaults tag.
const FaultInjection = false
