package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha512"
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Chain fetches the device certificate chain (GetCertificateChain) and
// verifies it: against the pinned root if there is one, otherwise against
// the root this client saw first (trust on first use).
func (c *Client) Chain(ctx context.Context) (*Chain, error) {
	der, err := c.GetCertificateChain(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	root := c.pinned
	if root == nil {
		root = c.first
	}
	ch, err := VerifyChain(der, root)
	if err != nil {
		return nil, fmt.Errorf("GetCertificateChain: %w", err)
	}
	if c.first == nil {
		c.first = ch.Root
	}
	c.chain = ch
	return ch, nil
}

// GetCertificateChain returns the device certificate chain as DER, root
// first: root CA, device identity, attestation key. It does not verify it;
// Chain does.
func (c *Client) GetCertificateChain(ctx context.Context) ([][]byte, error) {
	var resp wire.GetCertificateChainResponse
	if _, err := c.call(ctx, &wire.GetCertificateChainRequest{}, &resp); err != nil {
		return nil, err
	}
	return resp.Certificates, nil
}

// GetDeviceAttestation returns a device attestation report (COSE_Sign1)
// over reportData (at most 64 bytes); verify it with
// VerifyDeviceAttestation.
func (c *Client) GetDeviceAttestation(ctx context.Context, reportData []byte) ([]byte, error) {
	var resp wire.GetDeviceAttestationResponse
	if _, err := c.call(ctx, &wire.GetDeviceAttestationRequest{ReportData: reportData}, &resp); err != nil {
		return nil, err
	}
	return resp.Report, nil
}

// GetCredentialKey returns the partition credential key and a fresh nonce,
// after checking the device's signature over them with the attestation
// key of the verified certificate chain (spec: CMD-PARTITION-CREDENTIAL-KEY). A
// signature that does not verify is refused: the PIN would otherwise be
// sealed to a key nobody vouches for.
func (c *Client) GetCredentialKey(ctx context.Context) (*wire.GetCredentialKeyResponse, error) {
	var resp wire.GetCredentialKeyResponse
	if _, err := c.call(ctx, &wire.GetCredentialKeyRequest{}, &resp); err != nil {
		return nil, err
	}
	c.mu.Lock()
	ch := c.chain
	c.mu.Unlock()
	if ch == nil || !verifyCredentialKey(ch, &resp) {
		// No chain yet, or the device re-issued its attestation
		// certificate (a new firmware): fetch and verify it again.
		var err error
		if ch, err = c.Chain(ctx); err != nil {
			return nil, err
		}
		if !verifyCredentialKey(ch, &resp) {
			return nil, fmt.Errorf("GetCredentialKey: %w: signature over the credential key does not verify", ErrUntrustedChain)
		}
	}
	return &resp, nil
}

func verifyCredentialKey(ch *Chain, r *wire.GetCredentialKeyResponse) bool {
	pub, err := ch.AttestationPublicKey()
	if err != nil {
		return false
	}
	d := sha512.Sum384(wire.CredentialKeyMessage(r.PublicKey, r.Nonce))
	return ecdsa.VerifyASN1(pub, d[:], r.Signature)
}

// EstablishCredential provisions the partition with pin (8 to 64 bytes):
// the PIN travels sealed under a key agreed with the device's verified
// credential key. It returns the partition_id.
func (c *Client) EstablishCredential(ctx context.Context, pin []byte) ([]byte, error) {
	var resp wire.EstablishCredentialResponse
	kC2D, kD2C, err := c.credential(ctx, wire.LabelEstablish, wire.OpEstablishCredential, pin, func(pub, nonce, sealed []byte) error {
		_, err := c.call(ctx, &wire.EstablishCredentialRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, &resp)
		return err
	})
	if err != nil {
		return nil, err
	}
	// EstablishCredential opens no session; its channel keys are unused.
	clear(kC2D)
	clear(kD2C)
	return resp.PartitionID, nil
}

// OpenSession authenticates with pin and opens a session whose channel
// keys come from the same exchange (spec: CMD-SESSION-OPEN).
func (c *Client) OpenSession(ctx context.Context, pin []byte) (*Session, error) {
	var resp wire.OpenSessionResponse
	kC2D, kD2C, err := c.credential(ctx, wire.LabelSession, wire.OpOpenSession, pin, func(pub, nonce, sealed []byte) error {
		_, err := c.call(ctx, &wire.OpenSessionRequest{ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, &resp)
		return err
	})
	if err != nil {
		return nil, err
	}
	ch, err := newChannel(kC2D, kD2C)
	if err != nil {
		return nil, err
	}
	return &Session{c: c, id: resp.SessionID, ch: ch}, nil
}

// Reopen re-authenticates a session the device marked as needing
// renegotiation (after a migration every command of the session answers
// SessionNeedsRenegotiation): it keeps the session_id, derives new channel
// keys and restarts the sequence numbers at 1 (spec: CMD-SESSION-REOPEN).
func (s *Session) Reopen(ctx context.Context, pin []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("ReopenSession: %w", ErrSessionClosed)
	}
	var resp wire.ReopenSessionResponse
	kC2D, kD2C, err := s.c.credential(ctx, wire.LabelSession, wire.OpReopenSession, pin, func(pub, nonce, sealed []byte) error {
		_, err := s.c.call(ctx, &wire.ReopenSessionRequest{SessionID: s.id, ClientPublicKey: pub, Nonce: nonce, SealedPIN: sealed}, &resp)
		return err
	})
	if err != nil {
		return err
	}
	ch, err := newChannel(kC2D, kD2C)
	if err != nil {
		return err
	}
	s.ch.Close()
	s.ch = ch
	return nil
}

// ChangePin replaces the partition PIN; both PINs travel in the sealed
// body (spec: CMD-PARTITION-CHANGE-PIN).
func (s *Session) ChangePin(ctx context.Context, current, next []byte) error {
	if len(next) < wire.MinPINLen || len(next) > wire.MaxPINLen {
		return fmt.Errorf("ChangePin: new PIN of %d bytes: %w", len(next), rc.PinPolicyViolation)
	}
	return s.call(ctx, &wire.ChangePinRequest{CurrentPIN: current, NewPIN: next}, &wire.ChangePinResponse{})
}

// Verify checks a signature with a key on the device: nil if it verifies,
// an error matching rc.SignatureInvalid if it does not.
func (s *Session) Verify(ctx context.Context, req *wire.VerifyRequest) error {
	return s.call(ctx, req, &wire.VerifyResponse{})
}

// Close ends the session; the device destroys its session keys and its
// session-only keys. The Session is unusable afterwards, even if the
// device's answer is an error.
func (s *Session) Close(ctx context.Context) error {
	err := s.call(ctx, &wire.CloseSessionRequest{}, &wire.CloseSessionResponse{})
	s.mu.Lock()
	s.closed = true
	s.ch.Close()
	s.mu.Unlock()
	return err
}

// Zeroize destroys every key, session, masking root and the credential of
// this partition and returns it to Unprovisioned (spec: CMD-DEVICE-ZEROIZE).
// Sessions of this client are unusable afterwards.
func (c *Client) Zeroize(ctx context.Context) error {
	_, err := c.call(ctx, &wire.ZeroizeRequest{}, &wire.ZeroizeResponse{})
	return err
}
