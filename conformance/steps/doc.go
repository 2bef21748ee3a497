// Package steps is the fixed step vocabulary of the conformance suite: every
// Gherkin step the features may use, defined once and generic over the spec
// (commands, fields, enums and statuses are looked up in the spec model by
// name, never hard-coded), so a vendor writes a driver and never a step.
//
// # State
//
// Each scenario gets its own state (connections per partition, sessions,
// saved values, the last exchange), created in a Before hook and carried in
// the step context; nothing is global, so scenarios run in parallel. The
// shared, read-only part of a run is an [Env]. The After hook deletes the
// scenario's keys and closes its sessions; when the scenario failed, it
// also restores the device (the clock steps undone, a reset or power
// cycle, a lockout waited out, a changed PIN put back), so one failure
// does not fail the scenarios after it.
//
// # Vocabulary
//
// Set-up:
//
//	Given a provisioned partition                 provisions it with the suite PIN if it is not
//	Given an unprovisioned partition              zeroizes it first if needed (@destructive)
//	Given an open session [as "name"]             OpenSession with the suite PIN
//	Given I switch to partition B                 later steps talk to the second endpoint
//	Given a key of kind <Kind> with usage <U|U> as @k    GenerateKey, saving key_handle and public_key
//
// Requests (a data table of field → value; see Value syntax):
//
//	When I send <Command>[ with:]                 the normal way: plain, credential-authenticated or sealed
//	When I send <Command> in plaintext[ with:]    an in-session command with a plaintext body
//	When I send <Command> without a session[ with:]
//	When I send <Command> with session id <n>[ with:]
//	When I send <Command> with a tampered seal[ with:]
//	When I send <Command> skipping a sequence number[ with:]
//	When I send <Command> with revision <n>[ with:]
//	When I send <Command> with a non-canonical body[ with:]
//	When I send opcode <0xNNNN>
//	When I replay the last request
//	When I send a raw frame "<hex payload>"
//	When I send a length prefix of <n> bytes
//	When I open sessions up to the limit
//	When I close the session / When I reopen the session
//	When I send <Command> in session "<s>" of partition <P>   sealed in another partition's session
//
// Saved values (for the masked-key and unwrap rows of the error tables):
//
//	Given a key of kind <Kind> wrapped for the partition as @w   RSA-OAEP + AES-KWP under GetUnwrappingKey
//	When I set byte <n> of @v to <0xNN> as @w                    n < 0 counts from the end
//	When I flip byte <n> of @v as @w
//	When I truncate @v to <n> bytes as @w
//
// Control (only in @needs-control scenarios):
//
//	When the device is power-cycled|tampered|migrated|reset|zeroized
//	When the clock advances by <n>ms|s|m
//	When the clock goes back by <n>ms|s|m
//	When the self-test "<name>" is forced to fail
//	When the device is held in its power-on self-tests   until the next power cycle or reset
//
// Outcomes (status codes by their spec name, resolved with rc.ByName; text
// is never compared):
//
//	Then the status is <StatusName>
//	Then the response matches its schema
//	Then the response field <f> is <value>
//	Then the response field <f> has <n> bytes
//	Then the response field <f> contains|does not contain <value>
//	Then I save the key handle as @k / Then I save field <f> as @v
//	Then the credential key signature verifies against the certificate chain
//	Then the signature verifies with the public key of @k   offline: Go crypto, circl for ML-DSA-65
//
// Values, series of requests, lists, public keys, capabilities and limits
// (key_steps.go):
//
//	Given the bytes <value> as @v                 e.g. random:32, kept for later steps
//	Given a new tag as @t                         a tag no other scenario of the run uses
//	Given @v is @w with byte <n> flipped          n counts from the end when negative
//	Given @v is @w truncated to <n> bytes
//	Given @v is @w without its last <n> byte(s)
//	Given @v is @w with <value> appended
//	When I send <Command> with the body <value>   those body bytes, sealed for an in-session command
//	When I send <Command> with each byte of its <field> altered in turn, with:
//	Then the status is one of <Status>, <Status>[, <Status>...]
//	Then every status is one of <Status>[, <Status>...]
//	When I send every command except <Command>[, <Command>...][ and <Command>]   empty bodies
//	When I create keys up to the limit            (@serial) GenerateKey until the partition holds max_keys
//	When I send <Command> to partition <P> in session "<s>"
//	Then the entry of <list> holding <value> has <list> <value>
//	Then the response field <f> holds a public key of kind <Kind>
//	Then the response field <f> equals the spec limit <limit>
//	Then the response field <f> differs from <value>
//	Then the response field <f> names every mandatory feature of profile <p>
//	Then every item of the response field <f> is a feature of the spec
//	Then the status is Success if the device declares <value> in <field>, otherwise <Status>
//
// Key material the suite makes and checks against an independent
// implementation (material.go); a device-held secret is compared through
// a key derived from it on both sides, never exported:
//
//	Given key material of kind <Kind>[ from <value>] as @m      saves @m_pub and, for ECC, @m_point
//	Given the key material @m wrapped for the partition as @w
//	Given the <Algorithm> signature of <value> by @m as @sig
//	Given the <AesGcm|AesCbc|RsaOaepSha256|RsaOaepSha384> encryption of <value> under @m[ with iv <v>][ and aad <v>] as @c
//	Given the <HKDF|KBKDF>-<Sha256|Sha384|Sha512> of @m with <salt|label> <v> and <info|context> <v> as <Kind> key material @d
//	Given the ECDH secret of @m and the public key of @k as key material @z
//	Given the ML-KEM-768 encapsulation to the public key of @k as @c and key material @z
//	Given the ML-KEM-768 decapsulation of <value> by @m as key material @z
//	Then the response field <f> matches the HMAC of <value> under @m
//	Then the response field <f> matches the <AesGcm|AesCbc> encryption of <value> under @m with iv <v>[ and aad <v>]
//	Then the response field <f> decrypts with <Algorithm> under @m[ with iv <v>][ and aad <v>] to <value>
//	Then the key @k holds|does not hold the key material @m
//
// Masked keys, by the field names of architecture/masked-key.yaml
// (masked.go):
//
//	Then @m is a well-formed masked key of this partition
//	Then the masked key @m has <field> <value>
//	Given @v is the masked key @m with <field> set to <value>
//
// Attestation (attest_steps.go; reports are verified with spec/client):
//
//	Then the response holds the certificate chain root first, each certificate signed by the one before
//	Then the attestation key certificate carries the firmware version <value> and a SHA-384 measurement
//	When I save the firmware measurement of the attestation key certificate as @v
//	Then the attestation report verifies against the certificate chain
//	Then the report field <f> is <value>      payload fields by the names of the command's description
//
// Every response is also checked automatically, after every step, against
// the spec's JSON Schema for it (wire.SchemaFS, through wire.ToJSON), and
// its header must echo the request's request_id and opcode; an error
// status must come with an empty body.
//
// # Value syntax
//
//	hex:00ff        bytes
//	random:N        N random bytes (text fields: N letters)
//	zeros:N         N zero bytes
//	text:abc        text (a bare word is also text for a text field)
//	42, 0x2a        integers
//	EccP256         an enum value by its spec name
//	Sign|Verify     flags by their spec names; none is 0; Sign,Verify in a table, where | parts cells
//	@k1             a value saved earlier
//	absent          leave the field out
package steps
