package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// rowRecipe says how a scenario produces the condition of one error row:
// set-up, the request that must be refused (act), then steps that put
// the device back as later scenarios expect it (after). The generator
// writes "Then the status is <row status>" between act and after.
type rowRecipe struct {
	tags  []string
	reqs  []string // nil: the row's requirement ids
	setup []string
	act   []string
	after []string
	// reason, when set, is why no client can produce the condition
	// through the wire protocol and the control channel: the row becomes
	// a @not-mechanical scenario.
	reason string
}

// subject is the key a command is sent with in the error-table
// scenarios, and the rest of a request that command accepts.
type subject struct {
	kind, usage string
	// lacking is a usage valid for kind that lacks the bit the command
	// needs (spec: IHSM-KEY-017); empty when every key of kind has it.
	lacking string
	fields  []kv
}

// p256G is the uncompressed base point of P-256 (SEC 2 §2.4.2): a valid
// peer public key for ECDH.
const p256G = "hex:046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

// notOnCurve is an uncompressed point (0, 0), on no NIST curve.
var notOnCurve = "hex:04" + strings.Repeat("00", 64)

// badP384 is an uncompressed P-384 encoding of the point (0, 0): the size
// of a client public key, not a point of the curve.
var badP384 = "hex:04" + strings.Repeat("00", 96)

var subjects = map[string]subject{
	"Sign":         {"EccP256", "Sign|Verify", "Verify", []kv{{"algorithm", "EcdsaSha256"}, {"data", "random:32"}}},
	"Verify":       {"EccP256", "Sign|Verify", "Sign", []kv{{"algorithm", "EcdsaSha256"}, {"data", "random:32"}, {"signature", "random:64"}}},
	"Encrypt":      {"Aes256", "Encrypt|Decrypt", "Decrypt", []kv{{"algorithm", "AesGcm"}, {"plaintext", "random:32"}}},
	"Decrypt":      {"Aes256", "Encrypt|Decrypt", "Encrypt", []kv{{"algorithm", "AesGcm"}, {"ciphertext", "random:48"}, {"iv", "random:12"}}},
	"Encapsulate":  {"MlKem768", "Derive", "", []kv{{"usage", "Derive"}}},
	"Decapsulate":  {"MlKem768", "Derive", "", []kv{{"ciphertext", "random:1088"}, {"usage", "Derive"}}},
	"EcdhDerive":   {"EccP256", "Derive", "Sign", []kv{{"peer_public_key", p256G}, {"usage", "Derive"}}},
	"HkdfDerive":   {"HmacSha256", "Derive", "Sign", []kv{{"hash", "Sha256"}, {"target_kind", "Aes256"}, {"usage", "Encrypt"}}},
	"KbkdfDerive":  {"HmacSha256", "Derive", "Sign", []kv{{"hash", "Sha256"}, {"target_kind", "Aes256"}, {"usage", "Encrypt"}}},
	"Hmac":         {"HmacSha256", "Sign|Verify", "Verify", []kv{{"message", "random:32"}}},
	"AttestKey":    {"EccP256", "Sign", "", nil},
	"DeleteKey":    {"EccP256", "Sign", "", nil},
	"GetPublicKey": {"EccP256", "Sign", "", nil},
}

// creators are the commands that create a key (they take tag and label),
// and the steps that make the key they act on, if any, plus the request.
type creator struct {
	setup  []string
	fields []kv
}

func (g *gen) creators() map[string]creator {
	return map[string]creator{
		"GenerateKey": {nil, []kv{{"kind", "Aes128"}, {"usage", "Encrypt"}}},
		"UnwrapKey":   {[]string{"Given a key of kind Aes256 wrapped for the partition as @w"}, []kv{{"wrapped", "@w"}, {"kind", "Aes256"}, {"usage", "Encrypt"}}},
		"EcdhDerive":  {[]string{key("EccP256", "Derive", "k")}, []kv{{"key_handle", "@k"}, {"peer_public_key", p256G}, {"usage", "Derive"}}},
		"HkdfDerive":  {[]string{key("HmacSha256", "Derive", "k")}, append([]kv{{"key_handle", "@k"}}, subjects["HkdfDerive"].fields...)},
		"KbkdfDerive": {[]string{key("HmacSha256", "Derive", "k")}, append([]kv{{"key_handle", "@k"}}, subjects["KbkdfDerive"].fields...)},
		"Encapsulate": {[]string{key("MlKem768", "Derive", "k")}, []kv{{"key_handle", "@k"}, {"usage", "Derive"}}},
		"Decapsulate": {[]string{key("MlKem768", "Derive", "k")}, []kv{{"key_handle", "@k"}, {"ciphertext", "random:1088"}, {"usage", "Derive"}}},
	}
}

func key(kind, usage, name string) string {
	return fmt.Sprintf("Given a key of kind %s with usage %s as @%s", kind, usage, name)
}

var inSession = []string{"Given a provisioned partition", "Given an open session"}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// lockOut is the set-up of a PIN lockout and the steps that end it (spec:
// IHSM-PRV-009, IHSM-PRV-010): max_pin_attempts wrong PINs, then the
// first backoff on the device clock, which the scenario sets back.
func (g *gen) lockOut() (fail, end []string, err error) {
	n, err := g.limit("max_pin_attempts")
	if err != nil {
		return nil, nil, err
	}
	b, err := g.limit("backoff_initial_seconds")
	if err != nil {
		return nil, nil, err
	}
	fail = []string{fmt.Sprintf("When I fail the PIN check of OpenSession %d times", n)}
	end = []string{
		fmt.Sprintf("When the clock advances by %ds", b),
		"When I send OpenSession", status("Success"),
		fmt.Sprintf("Then the clock goes back by %ds", b),
	}
	return fail, end, nil
}

// errorRecipe returns the recipe of row r of command c.
func (g *gen) errorRecipe(c *model.Command, r model.ErrorRow) (rowRecipe, error) {
	var ferr error
	rec, err := g.recipe(c, r, &ferr)
	if ferr != nil {
		return rowRecipe{}, fmt.Errorf("%s/%s: %w", c.Name, r.Status, ferr)
	}
	return rec, err
}

// recipe builds the recipe of row r of command c; an error filling a
// request table is kept in *ferr.
func (g *gen) recipe(c *model.Command, r model.ErrorRow, ferr *error) (rowRecipe, error) {
	name := c.Name + "/" + r.Status
	sub, hasSub := subjects[c.Name]
	req := func(over ...kv) []kv {
		f, err := g.fill(c, over...)
		if err != nil && *ferr == nil {
			*ferr = err
		}
		return f
	}
	withKey := func(k string, over ...kv) []kv {
		return req(append(append([]kv{{"key_handle", "@" + k}}, sub.fields...), over...)...)
	}
	switch r.Status {
	case "KeyNotFound":
		if !hasSub {
			break
		}
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")},
				send("When", "DeleteKey", "", kv{"key_handle", "@k"}), []string{status("Success")}),
			act: send("When", c.Name, "", withKey("k")...),
		}, nil
	case "KeyTagExists":
		cr, ok := g.creators()[c.Name]
		if c.Name == "UnmaskKey" {
			t := g.tag()
			return rowRecipe{
				setup: cat(inSession, send("When", "GenerateKey", "", kv{"kind", "Aes128"}, kv{"usage", "Encrypt"}, kv{"tag", t}),
					[]string{status("Success"), "Then I save the key handle as @t"}),
				act: send("When", "UnmaskKey", "", kv{"masked_key", "@t_masked"}),
			}, nil
		}
		if !ok {
			break
		}
		t := g.tag()
		return rowRecipe{
			setup: cat(inSession, cr.setup, send("When", "GenerateKey", "", kv{"kind", "Aes128"}, kv{"usage", "Encrypt"}, kv{"tag", t}),
				[]string{status("Success")}),
			act: send("When", c.Name, "", req(append(slices.Clone(cr.fields), kv{"tag", t})...)...),
		}, nil
	case "KeyLimitReached":
		cr, ok := g.creators()[c.Name]
		if c.Name == "UnmaskKey" {
			return rowRecipe{
				tags:  []string{tagSerial},
				setup: cat(inSession, []string{key("Aes128", "Encrypt", "k"), "When I create keys up to the limit"}),
				act:   send("When", "UnmaskKey", "", kv{"masked_key", "@k_masked"}),
			}, nil
		}
		if !ok {
			break
		}
		return rowRecipe{
			tags:  []string{tagSerial},
			setup: cat(inSession, cr.setup, []string{"When I create keys up to the limit"}),
			act:   send("When", c.Name, "", req(cr.fields...)...),
		}, nil
	}
	if r.Status == "UnsupportedAlgorithm" {
		return rowRecipe{reason: "A device answers it for an algorithm it does not declare in GetCapabilities; which algorithms those are depends on the device, so device.feature sends every algorithm and expects Success when the device declares it and UnsupportedAlgorithm otherwise (IHSM-DEV-004)."}, nil
	}
	switch name {
	// Key operations (spec: IHSM-KEY-008, IHSM-KEY-017, IHSM-CRY-017).
	case "Sign/UsageNotPermitted", "Verify/UsageNotPermitted", "Encrypt/UsageNotPermitted", "Decrypt/UsageNotPermitted",
		"EcdhDerive/UsageNotPermitted", "HkdfDerive/UsageNotPermitted", "KbkdfDerive/UsageNotPermitted", "Hmac/UsageNotPermitted":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.lacking, "k")}),
			act:   send("When", c.Name, "", withKey("k")...),
		}, nil
	case "Encapsulate/UsageNotPermitted", "Decapsulate/UsageNotPermitted":
		return rowRecipe{reason: "An ML-KEM-768 key is created only with the Derive usage (IHSM-KEY-009: ML-KEM takes Derive and nothing else, and a key needs at least one operation bit), so no ML-KEM key lacks the usage this command needs; a key of another kind is refused as UnsupportedKeyKind."}, nil
	case "Sign/AlgorithmMismatch", "Verify/AlgorithmMismatch":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"algorithm", "Ed25519"})...),
		}, nil
	case "Encrypt/AlgorithmMismatch", "Decrypt/AlgorithmMismatch":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"algorithm", "RsaOaepSha256"}, kv{"iv", ""})...),
		}, nil
	case "Sign/DigestMismatch", "Verify/DigestMismatch":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"data", "random:31"})...),
		}, nil
	case "Verify/SignatureInvalid":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")},
				send("When", "Sign", "", kv{"key_handle", "@k"}, kv{"algorithm", "EcdsaSha256"}, kv{"data", "zeros:32"}),
				[]string{status("Success"), "Then I save field signature as @sig"}),
			act: send("When", "Verify", "", kv{"key_handle", "@k"}, kv{"algorithm", "EcdsaSha256"},
				kv{"data", "hex:" + strings.Repeat("01", 32)}, kv{"signature", "@sig"}),
		}, nil
	case "Encrypt/InvalidLength":
		return rowRecipe{
			reqs:  []string{"IHSM-CRY-007"},
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"iv", "random:16"})...),
		}, nil
	case "Decrypt/InvalidLength":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"iv", ""})...),
		}, nil
	case "Decrypt/DecryptFailed":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k")...),
		}, nil
	case "Encapsulate/UnsupportedKeyKind", "Decapsulate/UnsupportedKeyKind":
		return rowRecipe{
			setup: cat(inSession, []string{key("EccP256", "Derive", "k")}),
			act:   send("When", c.Name, "", withKey("k")...),
		}, nil
	case "Decapsulate/InvalidLength":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"ciphertext", "random:1087"})...),
		}, nil
	case "EcdhDerive/UnsupportedKeyKind":
		return rowRecipe{
			setup: cat(inSession, []string{key("HmacSha256", "Derive", "k")}),
			act:   send("When", c.Name, "", withKey("k")...),
		}, nil
	case "EcdhDerive/InvalidPublicKey":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"peer_public_key", notOnCurve})...),
		}, nil
	case "HkdfDerive/UnsupportedKeyKind", "KbkdfDerive/UnsupportedKeyKind":
		return rowRecipe{
			setup: cat(inSession, []string{key(sub.kind, sub.usage, "k")}),
			act:   send("When", c.Name, "", withKey("k", kv{"target_kind", "EccP256"}, kv{"usage", "Sign"})...),
		}, nil
	case "Hmac/UnsupportedKeyKind":
		return rowRecipe{
			setup: cat(inSession, []string{key("EccP256", "Sign", "k")}),
			act:   send("When", c.Name, "", withKey("k")...),
		}, nil

	// Key creation (spec: IHSM-KEY-001, IHSM-KEY-009, IHSM-KEY-013).
	case "GenerateKey/UnsupportedKeyKind":
		return rowRecipe{setup: inSession, act: send("When", c.Name, "", kv{"kind", "Secret256"}, kv{"usage", "Derive"})}, nil
	case "GenerateKey/UsageNotPermitted":
		return rowRecipe{setup: inSession, act: send("When", c.Name, "", kv{"kind", "EccP256"}, kv{"usage", "Encrypt"})}, nil
	case "GenerateKey/SelfTestFailed", "UnwrapKey/SelfTestFailed":
		pct := "PCT-ECDSA"
		if g.s.SelfTest(pct) == nil {
			return rowRecipe{}, fmt.Errorf("%s: the spec has no self-test %s", name, pct)
		}
		setup := []string{"Given a provisioned partition", fmt.Sprintf("When the self-test %q is forced to fail", pct), "Given an open session"}
		act := send("When", c.Name, "", kv{"kind", "EccP256"}, kv{"usage", "Sign"})
		if c.Name == "UnwrapKey" {
			setup = append(setup, "Given a key of kind EccP256 wrapped for the partition as @w")
			act = send("When", c.Name, "", kv{"wrapped", "@w"}, kv{"kind", "EccP256"}, kv{"usage", "Sign"})
		}
		return rowRecipe{
			tags:  []string{tagSerial, tagNeedsControl},
			setup: setup, act: act,
			after: []string{"When I send GetSelfTestStatus", "Then the response field device_state is Error", "And the response field failed contains " + pct,
				"When the device is power-cycled", "And I send GetDeviceInfo", "Then the response field device_state is Operational"},
		}, nil
	case "RunSelfTest/SelfTestFailed":
		return rowRecipe{reason: "The control channel forces a self-test failure only at power-on (fail-self-test power-cycles the device, which then comes up in the Error state, where RunSelfTest answers DeviceNotOperational), and no input makes a healthy known-answer test fail on demand; the Error state a failed power-on test leads to is checked in states.feature and lifecycle.feature."}, nil
	case "UnwrapKey/UnwrapFailed":
		return rowRecipe{
			setup: cat(inSession, []string{"Given a key of kind Aes256 wrapped for the partition as @w", "When I flip byte -1 of @w as @bad"}),
			act:   send("When", c.Name, "", kv{"wrapped", "@bad"}, kv{"kind", "Aes256"}, kv{"usage", "Encrypt"}),
		}, nil
	case "UnwrapKey/UnsupportedKeyKind":
		return rowRecipe{
			setup: cat(inSession, []string{"Given a key of kind Aes256 wrapped for the partition as @w"}),
			act:   send("When", c.Name, "", kv{"wrapped", "@w"}, kv{"kind", "Secret256"}, kv{"usage", "Derive"}),
		}, nil
	case "UnwrapKey/UsageNotPermitted":
		return rowRecipe{
			setup: cat(inSession, []string{"Given a key of kind Aes256 wrapped for the partition as @w"}),
			act:   send("When", c.Name, "", kv{"wrapped", "@w"}, kv{"kind", "Aes256"}, kv{"usage", "Sign"}),
		}, nil
	case "OpenKey/KeyTagNotFound":
		t := g.tag()
		return rowRecipe{
			setup: cat(inSession, send("When", "GenerateKey", "", kv{"kind", "Aes128"}, kv{"usage", "Encrypt"}, kv{"tag", t}),
				[]string{status("Success"), "Then I save the key handle as @t"},
				send("When", "DeleteKey", "", kv{"key_handle", "@t"}), []string{status("Success")}),
			act: send("When", "OpenKey", "", kv{"tag", t}),
		}, nil

	// Masked keys (spec: architecture/masked-key.yaml).
	case "UnmaskKey/MaskedKeyMalformed":
		return rowRecipe{
			setup: cat(inSession, []string{key("Aes128", "Encrypt", "k"), "When I truncate @k_masked to 71 bytes as @bad"}),
			act:   send("When", c.Name, "", kv{"masked_key", "@bad"}),
		}, nil
	case "UnmaskKey/MaskedKeyVersionUnsupported":
		off, err := g.maskedOffset("version")
		if err != nil {
			return rowRecipe{}, err
		}
		return rowRecipe{
			setup: cat(inSession, []string{key("Aes128", "Encrypt", "k"), fmt.Sprintf("When I set byte %d of @k_masked to 0x%02x as @bad", off, g.s.Architecture.MaskedKey.Version+1)}),
			act:   send("When", c.Name, "", kv{"masked_key", "@bad"}),
		}, nil
	case "UnmaskKey/MaskedKeyTampered":
		return rowRecipe{
			setup: cat(inSession, []string{key("Aes128", "Encrypt", "k"), "When I flip byte -1 of @k_masked as @bad"}),
			act:   send("When", c.Name, "", kv{"masked_key", "@bad"}),
		}, nil
	case "UnmaskKey/MaskedKeyWrongPartition":
		// Both conditions of the row: another partition, then another
		// session (a session-only key's blob).
		return rowRecipe{
			tags:  []string{tagTwoPartitions},
			setup: cat(inSession, []string{key("Aes128", "Encrypt", "k"), "When I switch to partition B"}, inSession),
			act:   send("When", c.Name, "", kv{"masked_key", "@k_masked"}),
			after: cat([]string{"When I switch to partition A", "Given an open session as \"a\"", key("Aes128", "Encrypt|SessionOnly", "s"), "Given an open session as \"b\""},
				send("When", c.Name, "", kv{"masked_key", "@s_masked"}), []string{status("MaskedKeyWrongPartition")}),
		}, nil

	// Provisioning and sessions (spec: wire.yaml channel, IHSM-PRV-*).
	case "EstablishCredential/PartitionAlreadyProvisioned":
		return rowRecipe{setup: []string{"Given a provisioned partition"}, act: []string{"When I send EstablishCredential"},
			after: []string{"When I send OpenSession", status("Success")}}, nil
	case "EstablishCredential/NonceInvalid":
		return rowRecipe{
			tags:  []string{tagDestructive, tagSerial},
			setup: []string{"Given an unprovisioned partition", "When I send GetCredentialKey", "And I save the credential key exchange as @old", "And I send GetCredentialKey"},
			act:   []string{"When I send EstablishCredential with the credential key exchange @old"},
			after: []string{"When I send EstablishCredential", status("Success")},
		}, nil
	case "EstablishCredential/InvalidPublicKey", "OpenSession/InvalidPublicKey":
		setup := []string{"Given a provisioned partition"}
		tags := []string{tagSerial}
		if c.Name == "EstablishCredential" {
			setup = []string{"Given an unprovisioned partition"}
			tags = []string{tagDestructive, tagSerial}
		}
		return rowRecipe{
			tags:  tags,
			setup: append(setup, "When I send GetCredentialKey", "Then I save field nonce as @n"),
			act:   send("When", c.Name, "", kv{"client_public_key", badP384}, kv{"nonce", "@n"}, kv{"sealed_pin", "random:36"}),
		}, nil
	case "EstablishCredential/CredentialDecryptFailed":
		return rowRecipe{
			tags: []string{tagDestructive, tagSerial}, setup: []string{"Given an unprovisioned partition"},
			act: []string{"When I send EstablishCredential with its sealed PIN tampered"}, after: []string{"When I send EstablishCredential", status("Success")},
		}, nil
	case "EstablishCredential/PinPolicyViolation":
		n, err := g.limit("min_pin")
		if err != nil {
			return rowRecipe{}, err
		}
		return rowRecipe{
			tags: []string{tagDestructive, tagSerial}, setup: []string{"Given an unprovisioned partition"},
			act:   send("When", c.Name, "", kv{"pin", fmt.Sprintf("random:%d", n-1)}),
			after: []string{"When I send GetDeviceInfo", "Then the response field partition_state is Unprovisioned", "When I send EstablishCredential", status("Success")},
		}, nil
	case "ChangePin/PinIncorrect":
		// That the failure counts towards the lockout (IHSM-PRV-009) is
		// the lockout scenarios' part.
		return rowRecipe{
			reqs:  []string{"IHSM-PRV-012"},
			tags:  []string{tagSerial},
			setup: cat(inSession, []string{"When I save the suite PIN as @pin"}),
			// The new PIN is the suite's own, so a device that wrongly
			// accepts the request changes nothing later scenarios need.
			act:   send("When", c.Name, "", kv{"current_pin", "text:not-the-suite-pin"}, kv{"new_pin", "@pin"}),
			after: []string{"When I send OpenSession", status("Success")},
		}, nil
	case "ChangePin/PinLockedOut":
		fail, end, err := g.lockOut()
		if err != nil {
			return rowRecipe{}, err
		}
		return rowRecipe{
			tags:  []string{tagSerial, tagNeedsControl},
			setup: cat([]string{"Given a provisioned partition", "Given an open session as \"before\""}, fail, []string{"When I switch to session \"before\"", "When I save the suite PIN as @pin"}),
			act:   send("When", c.Name, "", kv{"current_pin", "@pin"}, kv{"new_pin", "@pin"}),
			after: end,
		}, nil
	case "ChangePin/PinPolicyViolation":
		n, err := g.limit("min_pin")
		if err != nil {
			return rowRecipe{}, err
		}
		return rowRecipe{
			setup: cat(inSession, []string{"When I save the suite PIN as @pin"}),
			act:   send("When", c.Name, "", kv{"current_pin", "@pin"}, kv{"new_pin", fmt.Sprintf("random:%d", n-1)}),
			after: []string{"When I send OpenSession", status("Success")},
		}, nil
	case "OpenSession/SessionLimitReached":
		return rowRecipe{tags: []string{tagSerial}, setup: []string{"Given a provisioned partition", "When I open sessions up to the limit"}, act: []string{"When I send OpenSession"}}, nil
	case "OpenSession/NonceInvalid":
		return rowRecipe{
			tags:  []string{tagSerial},
			setup: []string{"Given a provisioned partition", "When I send GetCredentialKey", "And I save the credential key exchange as @x", "And I send OpenSession with the credential key exchange @x", status("Success")},
			act:   []string{"When I send OpenSession with the credential key exchange @x"},
		}, nil
	case "OpenSession/CredentialDecryptFailed":
		return rowRecipe{setup: []string{"Given a provisioned partition"}, act: []string{"When I send OpenSession with its sealed PIN tampered"},
			after: []string{"When I send OpenSession", status("Success")}}, nil
	case "OpenSession/PinIncorrect":
		return rowRecipe{
			tags:  []string{tagSerial},
			setup: []string{"Given a provisioned partition", "When I send GetCredentialKey", "And I save the credential key exchange as @x"},
			act:   []string{"When I send OpenSession with the credential key exchange @x and a wrong PIN"},
			after: []string{"When I send OpenSession", status("Success")},
		}, nil
	case "OpenSession/PinLockedOut":
		fail, end, err := g.lockOut()
		if err != nil {
			return rowRecipe{}, err
		}
		return rowRecipe{tags: []string{tagSerial, tagNeedsControl}, setup: cat([]string{"Given a provisioned partition"}, fail), act: []string{"When I send OpenSession"}, after: end}, nil
	case "ReopenSession/SessionNotFound":
		return rowRecipe{setup: inSession, act: []string{"When I renegotiate session id 4294967295"},
			after: []string{"When I send ListKeys", status("Success")}}, nil
	case "ReopenSession/NonceInvalid", "ReopenSession/InvalidPublicKey", "ReopenSession/CredentialDecryptFailed", "ReopenSession/PinIncorrect":
		setup := []string{"Given a provisioned partition", "Given an open session as \"m\"", "Then I save field session_id as @sid", "When the device is migrated"}
		var act []string
		switch r.Status {
		case "NonceInvalid":
			setup = append(setup, "When I send GetCredentialKey", "And I save the credential key exchange as @old", "And I send GetCredentialKey")
			act = []string{"When I send ReopenSession with the credential key exchange @old"}
		case "InvalidPublicKey":
			setup = append(setup, "When I send GetCredentialKey", "Then I save field nonce as @n")
			act = send("When", c.Name, "", kv{"session_id", "@sid"}, kv{"client_public_key", badP384}, kv{"nonce", "@n"}, kv{"sealed_pin", "random:36"})
		case "CredentialDecryptFailed":
			act = []string{"When I send ReopenSession with its sealed PIN tampered"}
		case "PinIncorrect":
			setup = append(setup, "When I send GetCredentialKey", "And I save the credential key exchange as @x")
			act = []string{"When I send ReopenSession with the credential key exchange @x and a wrong PIN"}
		}
		return rowRecipe{
			tags: []string{tagSerial, tagNeedsControl}, setup: setup, act: act,
			after: []string{"When I renegotiate the session", status("Success"), "When I send ListKeys", status("Success")},
		}, nil
	case "ReopenSession/PinLockedOut":
		fail, end, err := g.lockOut()
		if err != nil {
			return rowRecipe{}, err
		}
		return rowRecipe{
			tags:  []string{tagSerial, tagNeedsControl},
			setup: cat([]string{"Given a provisioned partition", "Given an open session as \"m\"", "When the device is migrated"}, fail, []string{"When I switch to session \"m\""}),
			act:   []string{"When I renegotiate the session"},
			after: cat(end, []string{"When I switch to session \"m\"", "When I renegotiate the session", status("Success")}),
		}, nil
	}
	return rowRecipe{}, fmt.Errorf("%s: no recipe for the error row %q (add one to conformance/internal/featuregen, or a reason why no client can produce it)", name, r.When)
}

// maskedOffset is the fixed byte offset of a field of the masked key
// format (spec: architecture/masked-key.yaml).
func (g *gen) maskedOffset(field string) (int, error) {
	for _, f := range g.s.Architecture.MaskedKey.Fields {
		if f.Name == field {
			var n int
			if _, err := fmt.Sscanf(f.Offset, "%d", &n); err != nil || fmt.Sprint(n) != f.Offset {
				return 0, fmt.Errorf("masked key field %s has no fixed offset (%q)", field, f.Offset)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("the masked key format has no field %s", field)
}

// errorTables is errors.feature: one scenario per row of every command's
// own error table.
func (g *gen) errorTables() (*feature, error) {
	f := &feature{
		file:  "errors.feature",
		title: "Every row of every command's error table",
		desc: "One scenario per row of the error table of each command (spec/commands/*.yaml): it drives the device into " +
			"the row's condition and asserts the row's status. The common errors of wire.yaml are in common-errors.feature. " +
			"A row no client can produce is tagged @not-mechanical with the reason; it is reported as not tested.",
	}
	for _, c := range g.commandsSorted() {
		for _, r := range c.Errors {
			rec, err := g.errorRecipe(c, r)
			if err != nil {
				return nil, err
			}
			sc := &scenario{
				name:    fmt.Sprintf("%s answers %s when %s", c.Name, r.Status, sentence(r.When)),
				profile: g.profileOf(c),
				reqs:    r.Requirements,
			}
			if rec.reqs != nil {
				for _, id := range rec.reqs {
					if !slices.Contains(r.Requirements, id) {
						return nil, fmt.Errorf("%s/%s: recipe requirement %s is not one of the row's %v", c.Name, r.Status, id, r.Requirements)
					}
				}
				sc.reqs = rec.reqs
			}
			if rec.reason != "" {
				sc.tags = []string{tagNotMechanical}
				sc.desc = "Not produced mechanically: " + rec.reason
			} else {
				sc.tags = rec.tags
				sc.steps = cat(rec.setup, rec.act, []string{status(r.Status)}, rec.after)
			}
			f.scenarios = append(f.scenarios, sc)
		}
	}
	return f, nil
}
