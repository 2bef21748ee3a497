// Package device is the reference HSM's device core: the executable model
// of the OpenIHSM spec between the wire and the security boundary.
//
// A [Device] opens the boundary (reference-impl/internal/boundary) over a
// state store, runs the power-on and periodic self-tests, and serves one
// [Endpoint] per partition. [Endpoint.Handle] takes a request payload and
// returns the response payload; package server carries it over sockets,
// and server.InProcess over a function call. Outside the boundary there are
// only handles, public keys, masked blobs and the session channel keys'
// opaque AEAD handles, with one exception the protocol imposes: ChangePin
// carries both PINs inside its channel-sealed body, so the device core
// holds them for the length of the call between opening the body (with
// the boundary's channel keys) and handing the decoded PINs to the
// boundary, which clears them; the core clears the decrypted body. The
// PINs of EstablishCredential, OpenSession and ReopenSession stay sealed
// until they reach the boundary. Go cannot guarantee that no copy
// survives in memory the collector moved.
//
// # Dispatcher
//
// Every request goes through the same checks, in this order; the first that
// fails decides the status, and the response carries request_id, opcode and
// the FIPS-approved indicator like every other:
//
//  1. decode: the envelope and header are one canonical deterministic-CBOR
//     map (DecodeFailed; the answer then has request_id 0);
//  2. revision: the header's major revision is 1 (UnsupportedRevision);
//     GetApiRevision answers any revision;
//  3. opcode: the command is in the registry (UnknownOpcode);
//  4. device state: SM-DEVICE of states.yaml allows the command
//     (DeviceNotOperational in SelfTest and Error, DeviceTampered,
//     DeviceZeroized), then SM-PARTITION: an unprovisioned partition
//     allows only the commands that need no credential
//     (PartitionNotProvisioned);
//  5. session rule: none and opens carry no session_id and no sealed body
//     (SessionNotExpected); in-session and closes carry a session_id
//     (SessionExpected) of an open session of this partition
//     (SessionNotFound) that is not waiting for renegotiation after a
//     migration (SessionNeedsRenegotiation);
//  6. channel: in-session and closing bodies are sealed (ChannelRequired),
//     with the next sequence number (ChannelSequenceError) and a seal that
//     authenticates under k_c2d with the header as AAD (ChannelAuthFailed);
//     neither failure advances the sequence;
//  7. body: the request decodes into the command's message and passes its
//     Validate (DecodeFailed, InvalidArgument);
//  8. handler: the command's own error table, mostly through the boundary,
//     whose errors map one to one onto statuses ([Device] never returns
//     error text on the wire; anything unnamed is InternalError).
//
// There is no role check (spec: architecture roles.yaml): every request on
// the endpoint holds the anonymous and officer roles, which the platform
// binds to the endpoint, and every request that passed steps 5 and 6 in a
// session holds the user role; the commands that open a session
// authenticate the PIN themselves. The spec's lint keeps every command
// reachable this way (a command without a session names the anonymous or
// officer role), which is why RoleNotPermitted is withdrawn.
//
// Responses to requests that passed step 6 are sealed under k_d2c,
// including error responses; all others are plaintext with an empty body.
// A panic anywhere is recovered into InternalError, and tests show that
// malformed input never needs it.
//
// The FIPS-approved indicator (FIPS 140-3 IG 2.4.C) is true on a success
// that used only approved algorithms with approved parameters (every
// algorithm of architecture/algorithms.yaml is approved; AES-GCM encryption
// with a caller-chosen IV is not, SP 800-38D §8.2) and false on errors.
//
// # Concurrency and ordering
//
// Handle is safe for concurrent use and takes no device-wide lock: requests
// of different sessions and partitions run in parallel. Requests of one
// session must arrive in sequence order, as the channel accepts only the
// next sequence number; package server queues pipelined requests per
// session for this.
//
// # The Error state
//
// A device whose power-on self-tests failed has opened none of its state:
// it may use no algorithm, so it cannot decrypt its identity or partition
// records. GetDeviceInfo then answers serial "unavailable" and every
// partition Unprovisioned, whatever the stored state; only the status
// commands, Zeroize (which erases the partition's record without
// cryptography) and the control operations act. A power cycle whose
// self-tests pass brings the stored state back.
//
// # Control
//
// The methods PowerCycle, Reset, Tamper, ZeroizeAll, Migrate, SetClock,
// AdvanceClock and FailSelfTest are the physical world's access to the
// device (package control serves them on the control socket). PIN backoff
// runs on the device clock, so lockout tests move time instead of sleeping.
//
// # Faults
//
// [Config.Faults] starts the device with deliberate defects ([Fault]) for
// mutation testing of the conformance suite: each fault must make the
// suite fail. A device with faults says so in GetDeviceInfo and in its
// firmware version. Fault injection exists only in a build with the
// ihsmfaults build tag (`make mutants`); the production build has no fault
// code, no fault names, and refuses a Config with faults.
package device
