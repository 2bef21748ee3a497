// Package clienttest runs the protocol's own Go client (spec/client) and
// transports (spec/transport) end to end against the reference HSM: a
// device served on real Unix sockets by reference-impl/server, and the
// same device through the in-process transport.
//
// It lives under reference-impl because spec/... may import nothing outside
// spec/, while these tests need a device. They cover every command through
// the client, the crypto.Signer and crypto.Decrypter adapters with
// x509.CreateCertificate and a TLS handshake, key import with
// CKM_RSA_AES_KEY_WRAP, attestation verification, concurrent sessions, a
// tampering channel, and signatures checked by the openssl command.
//
// The benchmarks (go test -bench . ./reference-impl/clienttest) report
// ops/s, p50 and p99 latency for ECDSA P-256 sign, RSA-2048 sign,
// AES-256-GCM 1 KiB and ML-DSA-65 sign through the raw Go crypto call, the
// in-process device, and the client over a Unix socket with 1 and 4
// sessions, each with its ratio to raw Go crypto.
package clienttest
