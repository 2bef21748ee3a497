//go:build !ihsmfaults

package boundary

// faultInjection reports whether this build honours Options.UnboundMaskedKeys:
// not this one, built without the ihsmfaults tag.
const faultInjection = false
