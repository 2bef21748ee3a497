package device

import (
	"crypto/subtle"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// getCredentialKey issues a new single-use nonce for this endpoint,
// replacing any earlier one (spec: wire.yaml channel rules).
func (c *call) getCredentialKey() (wire.Message, error) {
	c.p.credMu.Lock()
	defer c.p.credMu.Unlock()
	pub, nonce, sig, err := c.bp.CredentialKey()
	if err != nil {
		return nil, err
	}
	c.p.nonce = nonce
	return &wire.GetCredentialKeyResponse{PublicKey: pub, Nonce: nonce, Signature: sig}, nil
}

// takeNonce consumes the outstanding nonce: it must exist and equal the
// request's (NonceInvalid otherwise). Either way the nonce is spent, so
// one nonce authorises at most one attempt. p.credMu held.
func (c *call) takeNonce(nonce []byte) error {
	want := c.p.nonce
	c.p.nonce = nil
	if want == nil || subtle.ConstantTimeCompare(want, nonce) != 1 {
		return rc.NonceInvalid
	}
	return nil
}

// establishCredential provisions the partition (CMD-PARTITION-ESTABLISH).
// Checks in order: PartitionAlreadyProvisioned, NonceInvalid, then the
// boundary's InvalidPublicKey, CredentialDecryptFailed, PinPolicyViolation.
func (c *call) establishCredential(r *wire.EstablishCredentialRequest) (wire.Message, error) {
	c.p.credMu.Lock()
	defer c.p.credMu.Unlock()
	if c.bp.State() != boundary.PartitionUnprovisioned {
		return nil, rc.PartitionAlreadyProvisioned
	}
	if err := c.takeNonce(r.Nonce); err != nil {
		return nil, err
	}
	id, err := c.bp.EstablishCredential(r.ClientPublicKey, r.SealedPIN)
	if err != nil {
		return nil, err
	}
	return &wire.EstablishCredentialResponse{PartitionID: id[:]}, nil
}

// openSession authenticates the user and opens a session
// (CMD-SESSION-OPEN). Checks in order: SessionLimitReached, NonceInvalid,
// then the boundary's PinLockedOut, InvalidPublicKey,
// CredentialDecryptFailed, PinIncorrect.
func (c *call) openSession(r *wire.OpenSessionRequest) (wire.Message, error) {
	limit := c.d.cfg.MaxSessions
	if c.fault(FaultNoSessionLimit) {
		limit = 0
	}
	if code := c.p.reserve(limit); code != rc.Success {
		return nil, code
	}
	c.p.credMu.Lock()
	defer c.p.credMu.Unlock()
	if err := c.takeNonce(r.Nonce); err != nil {
		c.p.release()
		return nil, err
	}
	id := c.p.newID()
	bs, err := c.bp.OpenSession(id, r.ClientPublicKey, r.SealedPIN)
	if err != nil {
		c.p.release()
		return nil, err
	}
	c.p.add(&session{id: id, bs: bs, ch: bs.Channel()})
	return &wire.OpenSessionResponse{SessionID: id}, nil
}

// reopenSession re-authenticates a session that needs renegotiation
// (CMD-SESSION-REOPEN): same id, new channel keys, sequence from 1.
func (c *call) reopenSession(r *wire.ReopenSessionRequest) (wire.Message, error) {
	s, code := c.p.lookup(r.SessionID)
	if code != rc.Success || s.usable() != rc.SessionNeedsRenegotiation {
		return nil, rc.SessionNotFound
	}
	c.p.credMu.Lock()
	defer c.p.credMu.Unlock()
	if err := c.takeNonce(r.Nonce); err != nil {
		return nil, err
	}
	bs, err := c.bp.ReopenSession(r.SessionID, r.ClientPublicKey, r.SealedPIN)
	if err != nil {
		return nil, err
	}
	s.reopen(bs.Channel())
	return &wire.ReopenSessionResponse{SessionID: r.SessionID}, nil
}
