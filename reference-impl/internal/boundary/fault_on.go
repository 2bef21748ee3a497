//go:build ihsmfaults

package boundary

// faultInjection reports whether this build honours Options.UnboundMaskedKeys
// (a build with the ihsmfaults tag, for mutation testing only).
const faultInjection = true
