// Package control is the control channel of the reference HSM: the
// out-of-band interface through which tests and the conformance suite act
// on the device the way the physical world acts on a real one (power
// cycles, a tamper signal, a host migration, a failing or unfinished
// self-test, the passing of time for PIN backoff). It is not part of the
// device's command set: `ihsm serve --control` offers it on its own socket
// (DIR/control.sock, mode 0600), separate from the partition endpoints,
// and only when asked to. It is for tests and conformance runs: whoever can
// connect to it can move the device clock past any PIN backoff, and so
// guess PINs without lockout, and can reset, tamper with and zeroize the
// device. Never turn it on for a device that holds keys anyone relies on.
//
// # Protocol
//
// Frames as on the wire protocol: a 4-byte big-endian length, then at most
// [MaxMessage] bytes of payload. Each request payload is a deterministic
// CBOR map ([Request]):
//
//	{1: op (text), ?2: name (text), ?3: time (int, Unix ns), ?4: delta (int, ns)}
//
// and each answer a map ([Response]):
//
//	{1: ok (bool), ?2: error (text), 3: device_state (uint, DeviceState), 4: time (int, Unix ns)}
//
// The operations ([Op]) are status, reset, power-cycle, tamper, migrate,
// zeroize-all, set-clock (time), advance-clock (delta), fail-self-test
// (name of a KAT or PCT of the boundary's self-test registry) and
// hold-self-test (the device stays in its power-on self-tests until the
// next power-cycle, reset or fail-self-test). Requests on one connection
// are carried out in order, one at a time.
//
// The package imports nothing of the reference HSM, so a test harness that
// must not depend on the reference implementation can use its [Client] or
// speak the protocol itself from the description above.
package control
