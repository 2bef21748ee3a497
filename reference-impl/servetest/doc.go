// Package servetest runs the reference HSM as its users run it: the ihsm
// command built as the firmware release is, started with `ihsm serve` as a
// process of its own. Tests that kill the process, restart it on the same
// state or drive it with the real CLI use it.
package servetest
