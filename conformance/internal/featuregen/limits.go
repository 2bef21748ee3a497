package main

import (
	"fmt"
	"slices"
)

// limitRecipe says how a scenario shows one limit of
// spec/architecture/limits.yaml is enforced: the largest value accepted
// and the next refused, and, for a limit GetCapabilities reports, that it
// reports the spec's value (spec: IHSM-DEV-007).
type limitRecipe struct {
	profile string // empty: baseline
	tags    []string
	reqs    []string
	steps   []string
	reason  string
}

// capabilities returns the steps checking that GetCapabilities reports
// limit name as v, when it reports it.
func (g *gen) capabilities(name string, v uint64) []string {
	c := g.s.Command("GetCapabilities")
	if c == nil {
		return nil
	}
	for _, f := range c.Response {
		if f.Name == name {
			return []string{"When I send GetCapabilities", status("Success"), fmt.Sprintf("Then the response field %s is %d", name, v)}
		}
	}
	return nil
}

func (g *gen) limitRecipe(name string, v uint64) (limitRecipe, error) {
	caps := g.capabilities(name, v)
	withCaps := func(r limitRecipe) limitRecipe {
		if caps != nil {
			r.steps = append(slices.Clone(caps), r.steps...)
			r.reqs = append(r.reqs, "IHSM-DEV-007")
		}
		return r
	}
	aes := cat(inSession, []string{key("Aes256", "Encrypt|Decrypt", "k")})
	switch name {
	case "max_frame":
		return withCaps(limitRecipe{reqs: []string{"IHSM-WIRE-001"}, steps: []string{
			fmt.Sprintf("When I send a length prefix of %d bytes", v+1), status("FrameTooLarge"),
			"When I send GetDeviceInfo", status("Success"),
		}}), nil
	case "max_sessions":
		return withCaps(limitRecipe{tags: []string{tagSerial}, reqs: []string{"IHSM-SES-002"}, steps: []string{
			"Given a provisioned partition", "When I open sessions up to the limit", "And I send OpenSession", status("SessionLimitReached"),
		}}), nil
	case "max_keys":
		return withCaps(limitRecipe{tags: []string{tagSerial}, reqs: []string{"IHSM-KEY-007"}, steps: cat(inSession, []string{
			"When I create keys up to the limit", "And I send ListKeys", status("Success"),
		}, send("When", "GenerateKey", "", kv{"kind", "Aes128"}, kv{"usage", "Encrypt"}), []string{status("KeyLimitReached")})}), nil
	case "max_message":
		return withCaps(limitRecipe{reqs: []string{"IHSM-LIM-004", "IHSM-CRY-018"}, steps: cat(inSession, []string{key("HmacSha256", "Sign", "k")},
			send("When", "Hmac", "", kv{"key_handle", "@k"}, kv{"message", fmt.Sprintf("random:%d", v)}), []string{status("Success")},
			send("When", "Hmac", "", kv{"key_handle", "@k"}, kv{"message", fmt.Sprintf("random:%d", v+1)}), []string{status("InvalidArgument")},
		)}), nil
	case "max_ciphertext":
		// No algorithm makes a ciphertext of max_ciphertext bytes; the
		// longest AES-GCM makes is max_message plus its 16-byte tag
		// (spec: IHSM-CRY-007), which must reach the cipher (random bytes
		// fail the tag), and one byte over the field limit must not.
		m, err := g.limit("max_message")
		if err != nil {
			return limitRecipe{}, err
		}
		return limitRecipe{reqs: []string{"IHSM-LIM-004"}, steps: cat(aes,
			send("When", "Decrypt", "", kv{"key_handle", "@k"}, kv{"algorithm", "AesGcm"}, kv{"ciphertext", fmt.Sprintf("random:%d", m+16)}, kv{"iv", "random:12"}),
			[]string{status("DecryptFailed")},
			send("When", "Decrypt", "", kv{"key_handle", "@k"}, kv{"algorithm", "AesGcm"}, kv{"ciphertext", fmt.Sprintf("random:%d", v+1)}, kv{"iv", "random:12"}),
			[]string{status("InvalidArgument")},
		)}, nil
	case "max_aad":
		return limitRecipe{reqs: []string{"IHSM-LIM-001", "IHSM-WIRE-006"}, steps: cat(aes,
			send("When", "Encrypt", "", kv{"key_handle", "@k"}, kv{"algorithm", "AesGcm"}, kv{"plaintext", "random:16"}, kv{"aad", fmt.Sprintf("random:%d", v)}),
			[]string{status("Success")},
			send("When", "Encrypt", "", kv{"key_handle", "@k"}, kv{"algorithm", "AesGcm"}, kv{"plaintext", "random:16"}, kv{"aad", fmt.Sprintf("random:%d", v+1)}),
			[]string{status("InvalidArgument")},
		)}, nil
	case "max_kdf_input":
		hk := func(n uint64) []string {
			return send("When", "HkdfDerive", "", kv{"key_handle", "@k"}, kv{"hash", "Sha256"}, kv{"salt", fmt.Sprintf("random:%d", n)},
				kv{"info", fmt.Sprintf("random:%d", n)}, kv{"target_kind", "Aes256"}, kv{"usage", "Encrypt"})
		}
		return limitRecipe{reqs: []string{"IHSM-LIM-001", "IHSM-WIRE-006"}, steps: cat(inSession, []string{key("HmacSha256", "Derive", "k")},
			hk(v), []string{status("Success")}, hk(v+1), []string{status("InvalidArgument")})}, nil
	case "max_report_data":
		c, err := g.command("GetDeviceAttestation")
		if err != nil {
			return limitRecipe{}, err
		}
		return limitRecipe{profile: g.profileOf(c), reqs: []string{"IHSM-LIM-002"}, steps: cat(
			send("When", "GetDeviceAttestation", "", kv{"report_data", fmt.Sprintf("random:%d", v)}), []string{status("Success")},
			send("When", "GetDeviceAttestation", "", kv{"report_data", fmt.Sprintf("random:%d", v+1)}), []string{status("InvalidArgument")},
		)}, nil
	case "max_label":
		return limitRecipe{reqs: []string{"IHSM-LIM-003"}, steps: cat(inSession,
			send("When", "GenerateKey", "", kv{"kind", "Aes128"}, kv{"usage", "Encrypt"}, kv{"label", fmt.Sprintf("random:%d", v)}), []string{status("Success")},
			send("When", "GenerateKey", "", kv{"kind", "Aes128"}, kv{"usage", "Encrypt"}, kv{"label", fmt.Sprintf("random:%d", v+1)}), []string{status("InvalidArgument")},
		)}, nil
	case "min_pin":
		return withCaps(limitRecipe{tags: []string{tagSerial}, reqs: []string{"IHSM-PRV-007"}, steps: cat(inSession, []string{"When I save the suite PIN as @pin"},
			send("When", "ChangePin", "", kv{"current_pin", "@pin"}, kv{"new_pin", fmt.Sprintf("zeros:%d", v-1)}), []string{status("PinPolicyViolation")},
			send("When", "ChangePin", "", kv{"current_pin", "@pin"}, kv{"new_pin", fmt.Sprintf("zeros:%d", v)}), []string{status("Success")},
			send("When", "ChangePin", "", kv{"current_pin", fmt.Sprintf("zeros:%d", v)}, kv{"new_pin", "@pin"}), []string{status("Success")},
			[]string{"When I send OpenSession", status("Success")},
		)}), nil
	case "max_pin":
		return withCaps(limitRecipe{tags: []string{tagSerial}, reqs: []string{"IHSM-PRV-007"}, steps: cat(inSession, []string{"When I save the suite PIN as @pin"},
			send("When", "ChangePin", "", kv{"current_pin", "@pin"}, kv{"new_pin", fmt.Sprintf("zeros:%d", v+1)}), []string{status("InvalidArgument")},
			send("When", "ChangePin", "", kv{"current_pin", "@pin"}, kv{"new_pin", fmt.Sprintf("zeros:%d", v)}), []string{status("Success")},
			send("When", "ChangePin", "", kv{"current_pin", fmt.Sprintf("zeros:%d", v)}, kv{"new_pin", "@pin"}), []string{status("Success")},
			[]string{"When I send OpenSession", status("Success")},
		)}), nil
	case "max_pin_attempts":
		b, err := g.limit("backoff_initial_seconds")
		if err != nil {
			return limitRecipe{}, err
		}
		return withCaps(limitRecipe{tags: []string{tagSerial, tagNeedsControl}, reqs: []string{"IHSM-PRV-009"}, steps: []string{
			"Given a provisioned partition",
			fmt.Sprintf("When I fail the PIN check of OpenSession %d times", v-1), "And I send OpenSession", status("Success"),
			fmt.Sprintf("When I fail the PIN check of OpenSession %d times", v), "And I send OpenSession", status("PinLockedOut"),
			fmt.Sprintf("When the clock advances by %ds", b), "And I send OpenSession", status("Success"),
			fmt.Sprintf("Then the clock goes back by %ds", b),
		}}), nil
	case "backoff_initial_seconds":
		n, err := g.limit("max_pin_attempts")
		if err != nil {
			return limitRecipe{}, err
		}
		// Half the backoff on the device clock keeps the partition locked
		// whatever the real time the steps take; the other half ends it.
		half := v * 1000 / 2
		return limitRecipe{tags: []string{tagSerial, tagNeedsControl}, reqs: []string{"IHSM-PRV-010"}, steps: []string{
			"Given a provisioned partition",
			fmt.Sprintf("When I fail the PIN check of OpenSession %d times", n),
			fmt.Sprintf("And the clock advances by %dms", half), "And I send OpenSession", status("PinLockedOut"),
			fmt.Sprintf("When the clock advances by %dms", v*1000-half), "And I send OpenSession", status("Success"),
			fmt.Sprintf("Then the clock goes back by %ds", v),
		}}, nil
	case "backoff_max_seconds":
		n, err := g.limit("max_pin_attempts")
		if err != nil {
			return limitRecipe{}, err
		}
		first, err := g.limit("backoff_initial_seconds")
		if err != nil {
			return limitRecipe{}, err
		}
		steps := []string{"Given a provisioned partition", fmt.Sprintf("When I fail the PIN check of OpenSession %d times", n)}
		total := uint64(0)
		// Each further failure after a backoff doubles it, up to the
		// maximum; one more failure then keeps it at the maximum.
		for d := first; ; d *= 2 {
			d = min(d, v)
			steps = append(steps, fmt.Sprintf("When the clock advances by %ds", d), "And I fail the PIN check of OpenSession 1 time")
			total += d
			if d == v {
				break
			}
		}
		steps = append(steps,
			fmt.Sprintf("When the clock advances by %ds", v-1), "And I send OpenSession", status("PinLockedOut"),
			"When the clock advances by 1s", "And I send OpenSession", status("Success"),
			fmt.Sprintf("Then the clock goes back by %ds", total+v))
		return limitRecipe{tags: []string{tagSerial, tagNeedsControl}, reqs: []string{"IHSM-PRV-010"}, steps: steps}, nil
	case "max_masked_key":
		return limitRecipe{reqs: []string{"IHSM-LIM-001", "IHSM-WIRE-006"}, steps: cat(inSession,
			send("When", "UnmaskKey", "", kv{"masked_key", fmt.Sprintf("zeros:%d", v)}), []string{status("MaskedKeyMalformed")},
			send("When", "UnmaskKey", "", kv{"masked_key", fmt.Sprintf("zeros:%d", v+1)}), []string{status("InvalidArgument")},
		)}, nil
	case "max_wrapped_key":
		return limitRecipe{reqs: []string{"IHSM-LIM-001", "IHSM-WIRE-006"}, steps: cat(inSession,
			send("When", "UnwrapKey", "", kv{"wrapped", fmt.Sprintf("zeros:%d", v)}, kv{"kind", "Aes256"}, kv{"usage", "Encrypt"}), []string{status("UnwrapFailed")},
			send("When", "UnwrapKey", "", kv{"wrapped", fmt.Sprintf("zeros:%d", v+1)}, kv{"kind", "Aes256"}, kv{"usage", "Encrypt"}), []string{status("InvalidArgument")},
		)}, nil
	case "max_certificates", "max_certificate":
		return limitRecipe{reqs: []string{"IHSM-LIM-001", "IHSM-ATT-001"}, steps: []string{
			"When I send GetCertificateChain", status("Success"), "Then the response matches its schema",
		}}, nil
	case "credential_nonce":
		return limitRecipe{reqs: []string{"IHSM-PRV-001"}, steps: []string{
			"When I send GetCredentialKey", status("Success"), fmt.Sprintf("Then the response field nonce has %d bytes", v),
		}}, nil
	case "self_test_period_seconds":
		return limitRecipe{reqs: []string{"IHSM-SLF-011"}, reason: "The periodic self-tests run on the device's own timer; " +
			"the control protocol moves the clock of PIN backoff and certificates, not that timer, and an hour of real time is no test."}, nil
	}
	return limitRecipe{}, fmt.Errorf("limit %s has no recipe (add one to conformance/internal/featuregen, or a reason)", name)
}

// limits is limits.feature: one scenario per limit.
func (g *gen) limits() (*feature, error) {
	f := &feature{
		file:  "limits.feature",
		title: "Every limit of the spec",
		desc: "One scenario per limit of spec/architecture/limits.yaml: the largest value the device must accept " +
			"and the first it must refuse, and, for each limit GetCapabilities reports, that it reports the spec's value.",
	}
	for _, l := range g.s.Architecture.Limits {
		rec, err := g.limitRecipe(l.Name, l.Value)
		if err != nil {
			return nil, err
		}
		sc := &scenario{name: fmt.Sprintf("The limit %s (%d) is enforced", l.Name, l.Value), profile: "baseline", reqs: rec.reqs, tags: rec.tags}
		if rec.profile != "" {
			sc.profile = rec.profile
		}
		if rec.reason != "" {
			sc.tags = append(sc.tags, tagNotMechanical)
			sc.desc = "Not produced mechanically: " + rec.reason
		} else {
			sc.steps = rec.steps
		}
		f.scenarios = append(f.scenarios, sc)
	}
	return f, nil
}
