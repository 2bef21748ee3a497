// Package client is the OpenIHSM protocol's own Go client: typed methods
// for every command of the spec over any [transport.Transport], the
// partition credential and session channel cryptography, and attestation
// verification.
//
// # Using a device
//
//	t, _ := transport.Dial(ctx, "unix:///run/ihsm/partition-0.sock")
//	c := client.New(t, client.WithRootCertificate(root))
//	s, _ := c.OpenSession(ctx, pin)
//	k, _ := s.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign})
//	signer, _ := s.Signer(k.KeyHandle) // a crypto.Signer for x509, TLS, ...
//
// Commands outside sessions are methods of [Client]; in-session commands
// are methods of [Session]. Requests and responses are the generated
// messages of spec/wire, one type per command, named and documented by the
// spec. A device status comes back as an error wrapping the spec's
// rc.Code, prefixed with the command: errors.Is(err, rc.KeyNotFound).
//
// # Trust
//
// Before a PIN leaves the client, the device's credential key must carry a
// valid signature by the attestation key of the device's certificate chain
// (spec: GetCredentialKey). Which chain is trusted is the caller's choice:
// [WithRootCertificate] pins a root; without it the client trusts on first
// use, remembering the first root it sees for the life of the Client. The
// reference HSM makes its own root at first start, so a deployment pins
// the root it recorded at installation (the ihsm CLI: `ihsm device certs
// --out DIR`, then `--root DIR/root.pem`).
//
// # Sessions and concurrency
//
// A [Session] seals every request under k_c2d with the next sequence
// number and opens every response under k_d2c, checking that it answers
// the same request_id, opcode, session and sequence (spec: wire.yaml,
// channel). Its requests are serialised, which keeps sequence numbers in
// the order the device accepts; parallel work uses several sessions (the
// transports pipeline them on one connection, or each may have its own).
// A plaintext answer to a sealed request is believed only as an error:
// a device that could not authenticate the request has no channel to
// answer on, and a forged plaintext error can only deny service.
//
// # Attestation
//
// [VerifyKeyReport] and [VerifyDeviceAttestation] check a COSE_Sign1
// report (RFC 9052, ES384) against the attestation key certificate of a
// chain, the chain up to its root, and the firmware measurement the
// certificate's TCG DICE TcbInfo extension names. They need no device and
// no secret.
//
// # Key import
//
// [WrapKey] builds the CKM_RSA_AES_KEY_WRAP input of UnwrapKey:
// RSA-OAEP-SHA256 of a fresh AES-256 key, then AES key wrap with padding
// (SP 800-38F §6.3, RFC 5649) of the key material, implemented here and
// tested against the Wycheproof vectors.
package client
