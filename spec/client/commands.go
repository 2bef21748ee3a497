// This file holds one method per command: the request and response
// types are the generated messages of spec/wire, so the spec names every
// field.

package client

import (
	"context"

	"github.com/openihsm/openihsm/spec/wire"
)

// GetApiRevision returns the API revisions the device speaks (no session).
func (c *Client) GetApiRevision(ctx context.Context) (*wire.GetApiRevisionResponse, error) {
	var resp wire.GetApiRevisionResponse
	if _, err := c.call(ctx, &wire.GetApiRevisionRequest{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetDeviceInfo returns the vendor, product, firmware version, serial, device state and this partition's state (no session).
func (c *Client) GetDeviceInfo(ctx context.Context) (*wire.GetDeviceInfoResponse, error) {
	var resp wire.GetDeviceInfoResponse
	if _, err := c.call(ctx, &wire.GetDeviceInfoRequest{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetCapabilities returns the key kinds, algorithms, features and limits the device supports (no session).
func (c *Client) GetCapabilities(ctx context.Context) (*wire.GetCapabilitiesResponse, error) {
	var resp wire.GetCapabilitiesResponse
	if _, err := c.call(ctx, &wire.GetCapabilitiesRequest{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetSelfTestStatus returns the state and results of the device self-tests (no session).
func (c *Client) GetSelfTestStatus(ctx context.Context) (*wire.GetSelfTestStatusResponse, error) {
	var resp wire.GetSelfTestStatusResponse
	if _, err := c.call(ctx, &wire.GetSelfTestStatusRequest{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// RunSelfTest runs the self-tests now (the device answers only status commands meanwhile) (no session).
func (c *Client) RunSelfTest(ctx context.Context) (*wire.RunSelfTestResponse, error) {
	var resp wire.RunSelfTestResponse
	if _, err := c.call(ctx, &wire.RunSelfTestRequest{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GenerateKey makes a key on the device; the response carries its handle, public key (none for symmetric kinds) and masked blob.
func (s *Session) GenerateKey(ctx context.Context, req *wire.GenerateKeyRequest) (*wire.GenerateKeyResponse, error) {
	var resp wire.GenerateKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// OpenKey finds a key by tag.
func (s *Session) OpenKey(ctx context.Context, req *wire.OpenKeyRequest) (*wire.OpenKeyResponse, error) {
	var resp wire.OpenKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// DeleteKey destroys a key.
func (s *Session) DeleteKey(ctx context.Context, req *wire.DeleteKeyRequest) (*wire.DeleteKeyResponse, error) {
	var resp wire.DeleteKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetPublicKey returns a key's kind, usage and public key.
func (s *Session) GetPublicKey(ctx context.Context, req *wire.GetPublicKeyRequest) (*wire.GetPublicKeyResponse, error) {
	var resp wire.GetPublicKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ListKeys lists the partition's keys.
func (s *Session) ListKeys(ctx context.Context, req *wire.ListKeysRequest) (*wire.ListKeysResponse, error) {
	var resp wire.ListKeysResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// UnmaskKey re-imports a masked key blob made by this partition (or this session, for session-only keys).
func (s *Session) UnmaskKey(ctx context.Context, req *wire.UnmaskKeyRequest) (*wire.UnmaskKeyResponse, error) {
	var resp wire.UnmaskKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// GetUnwrappingKey returns the partition unwrapping key (RSA-3072, SPKI DER); see WrapKey.
func (s *Session) GetUnwrappingKey(ctx context.Context, req *wire.GetUnwrappingKeyRequest) (*wire.GetUnwrappingKeyResponse, error) {
	var resp wire.GetUnwrappingKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// UnwrapKey imports a key wrapped with CKM_RSA_AES_KEY_WRAP under the unwrapping key; see WrapKey.
func (s *Session) UnwrapKey(ctx context.Context, req *wire.UnwrapKeyRequest) (*wire.UnwrapKeyResponse, error) {
	var resp wire.UnwrapKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Sign signs a digest (ECDSA, RSA) or a message (Ed25519, ML-DSA-65).
func (s *Session) Sign(ctx context.Context, req *wire.SignRequest) (*wire.SignResponse, error) {
	var resp wire.SignResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Encrypt encrypts with an AES key (GCM, CBC, KWP) or an RSA public key (OAEP).
func (s *Session) Encrypt(ctx context.Context, req *wire.EncryptRequest) (*wire.EncryptResponse, error) {
	var resp wire.EncryptResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Decrypt decrypts with an AES key or an RSA private key.
func (s *Session) Decrypt(ctx context.Context, req *wire.DecryptRequest) (*wire.DecryptResponse, error) {
	var resp wire.DecryptResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Encapsulate runs ML-KEM-768 encapsulation to a key; the shared secret stays on the device as a Secret256 key.
func (s *Session) Encapsulate(ctx context.Context, req *wire.EncapsulateRequest) (*wire.EncapsulateResponse, error) {
	var resp wire.EncapsulateResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Decapsulate runs ML-KEM-768 decapsulation; the shared secret stays on the device.
func (s *Session) Decapsulate(ctx context.Context, req *wire.DecapsulateRequest) (*wire.DecapsulateResponse, error) {
	var resp wire.DecapsulateResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// EcdhDerive derives an ECDH shared secret with a peer public key; the secret stays on the device.
func (s *Session) EcdhDerive(ctx context.Context, req *wire.EcdhDeriveRequest) (*wire.EcdhDeriveResponse, error) {
	var resp wire.EcdhDeriveResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// HkdfDerive derives a key from a secret with HKDF (RFC 5869).
func (s *Session) HkdfDerive(ctx context.Context, req *wire.HkdfDeriveRequest) (*wire.HkdfDeriveResponse, error) {
	var resp wire.HkdfDeriveResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// KbkdfDerive derives a key from a secret with the SP 800-108 counter-mode KDF (HMAC).
func (s *Session) KbkdfDerive(ctx context.Context, req *wire.KbkdfDeriveRequest) (*wire.KbkdfDeriveResponse, error) {
	var resp wire.KbkdfDeriveResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Hmac computes an HMAC with an HMAC key.
func (s *Session) Hmac(ctx context.Context, req *wire.HmacRequest) (*wire.HmacResponse, error) {
	var resp wire.HmacResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// AttestKey returns a key attestation report (COSE_Sign1); verify it with VerifyKeyReport.
func (s *Session) AttestKey(ctx context.Context, req *wire.AttestKeyRequest) (*wire.AttestKeyResponse, error) {
	var resp wire.AttestKeyResponse
	if err := s.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
