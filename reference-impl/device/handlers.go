package device

import (
	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Identity of the reference HSM in GetDeviceInfo.
const (
	vendor  = "OpenIHSM"
	product = "OpenIHSM reference HSM"
)

// features are the spec features (spec.yaml features) the reference HSM
// implements: all of them.
func features() []string {
	return []string{"alg.ecdsa-p256", "alg.ecdsa-p384", "alg.ecdsa-p521", "alg.rsa", "alg.aes", "alg.hmac",
		"alg.ed25519", "alg.ecdh", "alg.kdf", "key.unwrap", "key.masking", "alg.mldsa65", "alg.mlkem768",
		"attest.device", "attest.key", "session.migration"}
}

// handle runs the handler of the request's command. The dispatcher has
// already checked everything the header and the body's schema decide; the
// handlers check the command's own error table (spec: commands/*.yaml
// errors), mostly through the boundary, whose errors map one to one onto
// statuses.
func (c *call) handle(req wire.Message) (wire.Message, error) {
	switch r := req.(type) {
	// Device (commands/device.yaml).
	case *wire.GetApiRevisionRequest:
		return &wire.GetApiRevisionResponse{MinRevision: wire.Revision, MaxRevision: wire.Revision}, nil
	case *wire.GetDeviceInfoRequest:
		return c.getDeviceInfo(), nil
	case *wire.GetCapabilitiesRequest:
		return c.getCapabilities(), nil
	case *wire.GetCertificateChainRequest:
		chain, err := c.pw.mod.CertificateChain()
		if err != nil {
			return nil, err
		}
		return &wire.GetCertificateChainResponse{Certificates: chain}, nil
	case *wire.GetDeviceAttestationRequest:
		rep, err := c.pw.mod.DeviceAttestation(r.ReportData)
		if err != nil {
			return nil, err
		}
		return &wire.GetDeviceAttestationResponse{Report: rep}, nil
	case *wire.GetSelfTestStatusRequest:
		st, n, failed := c.selfTestOutcome()
		return &wire.GetSelfTestStatusResponse{State: st, DeviceState: wire.DeviceState(c.pw.state()), TestsRun: n, Failed: failed}, nil
	case *wire.RunSelfTestRequest:
		if err := c.pw.mod.RunSelfTest(); err != nil {
			return nil, err
		}
		st, n, failed := c.selfTestOutcome()
		return &wire.RunSelfTestResponse{State: st, TestsRun: n, Failed: failed}, nil
	case *wire.ZeroizeRequest:
		return c.zeroize()

	// Partition (commands/partition.yaml).
	case *wire.GetCredentialKeyRequest:
		return c.getCredentialKey()
	case *wire.EstablishCredentialRequest:
		return c.establishCredential(r)
	case *wire.ChangePinRequest:
		// The boundary takes the PINs and clears them.
		return &wire.ChangePinResponse{}, c.s.bs.ChangePin(r.CurrentPIN, r.NewPIN)

	// Session (commands/session.yaml).
	case *wire.OpenSessionRequest:
		return c.openSession(r)
	case *wire.CloseSessionRequest:
		if err := c.s.bs.Close(); err != nil {
			return nil, err
		}
		c.p.remove(c.s)
		return &wire.CloseSessionResponse{}, nil
	case *wire.ReopenSessionRequest:
		return c.reopenSession(r)

	// Keys (commands/keys.yaml).
	case *wire.GenerateKeyRequest:
		if keys.Kind(r.Kind).IsSecret() {
			// Secret kinds come only from derivation (CMD-KEY-GENERATE).
			return nil, rc.UnsupportedKeyKind
		}
		k, err := c.s.bs.GenerateKey(keys.Kind(r.Kind), c.usage(r.Kind, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.GenerateKeyResponse{KeyHandle: k.Handle, PublicKey: k.PublicKey, MaskedKey: k.MaskedKey}, nil
	case *wire.OpenKeyRequest:
		k, err := c.s.bs.OpenKey(r.Tag)
		if err != nil {
			return nil, err
		}
		return &wire.OpenKeyResponse{KeyHandle: k.Handle, Kind: wire.KeyKind(k.Kind), Usage: wire.KeyUsage(k.Usage),
			PublicKey: k.PublicKey, Label: k.Label}, nil
	case *wire.DeleteKeyRequest:
		return &wire.DeleteKeyResponse{}, c.s.bs.DeleteKey(r.KeyHandle)
	case *wire.GetPublicKeyRequest:
		k, err := c.s.bs.KeyInfo(r.KeyHandle)
		if err != nil {
			return nil, err
		}
		resp := &wire.GetPublicKeyResponse{Kind: wire.KeyKind(k.Kind), Usage: wire.KeyUsage(k.Usage), PublicKey: k.PublicKey, Label: k.Label}
		if k.Tag != 0 {
			resp.Tag = &k.Tag
		}
		return resp, nil
	case *wire.ListKeysRequest:
		ks, err := c.s.bs.ListKeys()
		if err != nil {
			return nil, err
		}
		resp := &wire.ListKeysResponse{}
		for _, k := range ks {
			resp.KeyHandles = append(resp.KeyHandles, k.Handle)
			resp.Kinds = append(resp.Kinds, wire.KeyKind(k.Kind))
			resp.Tags = append(resp.Tags, uint32(k.Tag))
		}
		return resp, nil
	case *wire.UnmaskKeyRequest:
		k, err := c.s.bs.UnmaskKey(r.MaskedKey)
		if err != nil {
			return nil, err
		}
		return &wire.UnmaskKeyResponse{KeyHandle: k.Handle, Kind: wire.KeyKind(k.Kind), Usage: wire.KeyUsage(k.Usage),
			PublicKey: k.PublicKey, MaskedKey: k.MaskedKey}, nil
	case *wire.GetUnwrappingKeyRequest:
		pub, err := c.s.bs.UnwrappingKey()
		if err != nil {
			return nil, err
		}
		return &wire.GetUnwrappingKeyResponse{PublicKey: pub}, nil
	case *wire.UnwrapKeyRequest:
		if keys.Kind(r.Kind).IsSecret() {
			// A Secret kind cannot be imported (CMD-KEY-UNWRAP).
			return nil, rc.UnsupportedKeyKind
		}
		k, err := c.s.bs.UnwrapKey(r.Wrapped, keys.Kind(r.Kind), c.usage(r.Kind, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.UnwrapKeyResponse{KeyHandle: k.Handle, PublicKey: k.PublicKey, MaskedKey: k.MaskedKey}, nil

	// Crypto (commands/crypto.yaml).
	case *wire.SignRequest:
		sig, err := c.s.bs.Sign(r.KeyHandle, keys.Algorithm(r.Algorithm), r.Data)
		if err != nil {
			return nil, err
		}
		return &wire.SignResponse{Signature: sig}, nil
	case *wire.VerifyRequest:
		return &wire.VerifyResponse{}, c.s.bs.Verify(r.KeyHandle, keys.Algorithm(r.Algorithm), r.Data, r.Signature)
	case *wire.EncryptRequest:
		// SP 800-38D §8.2 and FIPS 140-3 IG C.H: AES-GCM encryption is
		// approved only with an IV generated inside the module.
		c.approved = keys.Approved(keys.Algorithm(r.Algorithm), len(r.IV) > 0)
		ct, iv, err := c.s.bs.Encrypt(r.KeyHandle, keys.Algorithm(r.Algorithm), r.Plaintext, r.IV, r.AAD)
		if err != nil {
			return nil, err
		}
		return &wire.EncryptResponse{Ciphertext: ct, IV: iv}, nil
	case *wire.DecryptRequest:
		pt, err := c.s.bs.Decrypt(r.KeyHandle, keys.Algorithm(r.Algorithm), r.Ciphertext, r.IV, r.AAD)
		if err != nil {
			return nil, err
		}
		return &wire.DecryptResponse{Plaintext: pt}, nil
	case *wire.EncapsulateRequest:
		ct, k, err := c.s.bs.Encapsulate(r.KeyHandle, c.usage(wire.KeyKindSecret256, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.EncapsulateResponse{Ciphertext: ct, KeyHandle: k.Handle, MaskedKey: k.MaskedKey}, nil
	case *wire.DecapsulateRequest:
		k, err := c.s.bs.Decapsulate(r.KeyHandle, r.Ciphertext, c.usage(wire.KeyKindSecret256, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.DecapsulateResponse{KeyHandle: k.Handle, MaskedKey: k.MaskedKey}, nil
	case *wire.EcdhDeriveRequest:
		k, err := c.s.bs.EcdhDerive(r.KeyHandle, r.PeerPublicKey, c.usage(wire.KeyKindSecret256, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.EcdhDeriveResponse{KeyHandle: k.Handle, MaskedKey: k.MaskedKey}, nil
	case *wire.HkdfDeriveRequest:
		k, err := c.s.bs.HkdfDerive(r.KeyHandle, keys.Hash(r.Hash), r.Salt, r.Info, keys.Kind(r.TargetKind),
			c.usage(r.TargetKind, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.HkdfDeriveResponse{KeyHandle: k.Handle, MaskedKey: k.MaskedKey}, nil
	case *wire.KbkdfDeriveRequest:
		k, err := c.s.bs.KbkdfDerive(r.KeyHandle, keys.Hash(r.Hash), r.KDFLabel, r.Context, keys.Kind(r.TargetKind),
			c.usage(r.TargetKind, r.Usage), tag(r.Tag), r.Label)
		if err != nil {
			return nil, err
		}
		return &wire.KbkdfDeriveResponse{KeyHandle: k.Handle, MaskedKey: k.MaskedKey}, nil
	case *wire.HmacRequest:
		mac, err := c.s.bs.Hmac(r.KeyHandle, r.Message)
		if err != nil {
			return nil, err
		}
		return &wire.HmacResponse{MAC: mac}, nil

	// Attestation (commands/attestation.yaml).
	case *wire.AttestKeyRequest:
		rep, err := c.s.bs.AttestKey(r.KeyHandle, r.ReportData)
		if err != nil {
			return nil, err
		}
		return &wire.AttestKeyResponse{Report: rep}, nil
	}
	// Every command of the registry has a case above (a test sends each);
	// a registry row without one is a bug of this device.
	return nil, rc.InternalError
}

func tag(t *uint16) uint16 {
	if t == nil {
		return 0
	}
	return *t
}

// usage is the usage a new key of kind gets: the one asked for, or under
// FaultSkipUsageCheck everything the kind permits.
func (c *call) usage(kind wire.KeyKind, u wire.KeyUsage) keys.Usage {
	if c.fault(FaultSkipUsageCheck) {
		if p := keys.Kind(kind).Permitted(); p != 0 {
			return p&^keys.UsageSessionOnly | keys.Usage(u)&keys.UsageSessionOnly
		}
	}
	return keys.Usage(u)
}

func (c *call) getDeviceInfo() *wire.GetDeviceInfoResponse {
	resp := &wire.GetDeviceInfoResponse{Vendor: vendor, Product: product, FirmwareVersion: c.d.cfg.FirmwareVersion,
		DeviceState: wire.DeviceState(c.pw.state()), PartitionState: wire.PartitionStateUnprovisioned,
		PartitionIndex: uint16(c.p.index)}
	if FaultInjection && c.d.faults != 0 {
		resp.Product = "OpenIHSM FAULT-INJECTED"
	}
	if c.pw.mod != nil {
		resp.Serial = c.pw.mod.Serial()
	}
	if resp.Serial == "" {
		// A tampered or zeroized device has destroyed its identity; a
		// device in the Error state of a failed power-on self-test has
		// not decrypted it (nor its partitions, which then read as
		// Unprovisioned), since it may use no algorithm.
		resp.Serial = "unavailable"
	}
	if c.bp != nil {
		resp.PartitionState = wire.PartitionState(c.bp.State())
		if resp.PartitionState != wire.PartitionStateUnprovisioned {
			id := c.bp.ID()
			resp.PartitionID = id[:]
		}
	}
	return resp
}

func (c *call) getCapabilities() *wire.GetCapabilitiesResponse {
	resp := &wire.GetCapabilitiesResponse{Features: features(),
		MaxSessions: uint32(c.d.cfg.MaxSessions), MaxKeys: keys.MaxKeys, MaxMessage: keys.MaxMessage,
		MaxFrame: wire.MaxFrame, MinPIN: boundary.MinPIN, MaxPIN: boundary.MaxPIN,
		MaxPINAttempts: boundary.MaxPINAttempts, Partitions: uint16(c.d.cfg.Partitions)}
	if c.d.cfg.MaxKeys > 0 {
		resp.MaxKeys = uint32(c.d.cfg.MaxKeys)
	}
	for _, k := range keys.Kinds() {
		resp.KeyKinds = append(resp.KeyKinds, wire.KeyKind(k))
	}
	for _, a := range keys.Algorithms() {
		resp.Algorithms = append(resp.Algorithms, wire.Algorithm(a))
	}
	return resp
}

// selfTestOutcome summarises the last run of the known-answer tests.
func (c *call) selfTestOutcome() (wire.SelfTestState, uint32, []string) {
	if c.pw.booting {
		return wire.SelfTestStateRunning, 0, nil
	}
	if c.pw.mod == nil {
		return wire.SelfTestStateFailed, 0, nil
	}
	var n uint32
	var failed []string
	for _, r := range c.pw.mod.SelfTestResults() {
		switch r.Status {
		case selftest.Passed:
			n++
		case selftest.Failed:
			n++
			failed = append(failed, r.Name)
		}
	}
	if len(failed) > 0 {
		return wire.SelfTestStateFailed, n, failed
	}
	return wire.SelfTestStatePassed, n, nil
}

func (c *call) zeroize() (wire.Message, error) {
	if c.fault(FaultKeepKeysAfterZeroize) {
		return &wire.ZeroizeResponse{}, nil
	}
	if c.bp == nil {
		// The boundary failed its power-on self-tests before it loaded
		// the partitions: nothing is in memory, and the partition's
		// persistent record is erased without cryptography
		// (IHSM-TMP-005).
		if c.pw.mod == nil {
			return nil, rc.DeviceNotOperational
		}
		if err := c.pw.mod.ErasePartition(c.p.index); err != nil {
			return nil, err
		}
		return &wire.ZeroizeResponse{}, nil
	}
	c.p.credMu.Lock()
	c.p.nonce = nil
	c.p.credMu.Unlock()
	if err := c.bp.Zeroize(); err != nil {
		return nil, err
	}
	c.p.dropSessions()
	return &wire.ZeroizeResponse{}, nil
}
