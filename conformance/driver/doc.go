// Package driver is how the conformance suite reaches a device: a Driver
// opens wire-protocol connections to the device's partition endpoints, and
// an optional Control (discovered by type assertion, like TPM platform
// signals) drives the out-of-band events the @needs-control scenarios need:
// reset, power cycle, tamper, zeroize-all, migration, clock (forward and
// back), forced self-test failure.
//
// A vendor never writes steps: it exposes its device on a Unix socket, a
// TCP port or an adapter program speaking frames on stdin/stdout, and names
// them with --target (one URL per partition, comma-separated) and, if it
// can, a control endpoint with --control.
package driver
