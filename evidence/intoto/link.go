package intoto

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/openihsm/openihsm/evidence/keys"
)

// LinkHashes are the digests recorded for link materials and products.
var linkHashes = []string{"sha256", "sha384", "sha512"}

func dsseTypeError(got string) error {
	return fmt.Errorf("%w: payloadType %q, want application/vnd.in-toto+json", ErrInvalid, got)
}

// LinkStep describes one supply-chain step for classic in-toto link
// metadata (in-toto specification v1.0 §4.3, "link").
type LinkStep struct {
	Name        string
	Command     []string
	Root        string   // directory the material and product paths are relative to
	Materials   []string // files consumed, relative to Root
	ProductRoot string   // directory the product paths are relative to
	Products    []string // files produced, relative to ProductRoot
	ByProducts  map[string]any
	Environment map[string]any
}

// inTotoKey converts an ECDSA key to in-toto-golang's key form with the
// ecdsa-sha2-nistpNNN scheme matching its curve.
func inTotoKey(pemData []byte, pub *ecdsa.PublicKey) (in_toto.Key, error) {
	var k in_toto.Key
	scheme := fmt.Sprintf("ecdsa-sha2-nistp%d", pub.Curve.Params().BitSize)
	if err := k.LoadKeyReader(bytes.NewReader(pemData), scheme, []string{"sha256", "sha512"}); err != nil {
		return k, fmt.Errorf("intoto: link key: %w", err)
	}
	return k, nil
}

func record(root string, paths []string) (map[string]in_toto.HashObj, error) {
	out := map[string]in_toto.HashObj{}
	for _, p := range paths {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return nil, fmt.Errorf("intoto: link artifact %q is not inside %s", p, root)
		}
		h, err := in_toto.RecordArtifact(filepath.Join(root, p), linkHashes, false)
		if err != nil {
			return nil, fmt.Errorf("intoto: link artifact %s: %w", p, err)
		}
		out[filepath.ToSlash(p)] = h
	}
	return out, nil
}

// RecordLink hashes the step's materials and products now and returns the
// signed link metablock (JSON) made with in-toto-golang.
func RecordLink(step LinkStep, priv *ecdsa.PrivateKey) ([]byte, error) {
	if step.Name == "" {
		return nil, errors.New("intoto: link step without a name")
	}
	mats, err := record(step.Root, step.Materials)
	if err != nil {
		return nil, err
	}
	prods, err := record(step.ProductRoot, step.Products)
	if err != nil {
		return nil, err
	}
	pemData, err := keys.MarshalPKCS8(priv)
	if err != nil {
		return nil, err
	}
	defer clear(pemData)
	key, err := inTotoKey(pemData, &priv.PublicKey)
	if err != nil {
		return nil, err
	}
	link := in_toto.Link{
		Type:        "link",
		Name:        step.Name,
		Materials:   mats,
		Products:    prods,
		ByProducts:  step.ByProducts,
		Command:     step.Command,
		Environment: step.Environment,
	}
	if link.ByProducts == nil {
		link.ByProducts = map[string]any{}
	}
	if link.Environment == nil {
		link.Environment = map[string]any{}
	}
	if link.Command == nil {
		link.Command = []string{}
	}
	mb := &in_toto.Metablock{Signed: link, Signatures: []in_toto.Signature{}}
	if err := mb.Sign(key); err != nil {
		return nil, fmt.Errorf("intoto: sign link: %w", err)
	}
	return json.Marshal(mb)
}

// VerifyLink checks a link metablock's signature with a pinned public key
// and returns the link.
func VerifyLink(data []byte, pub *ecdsa.PublicKey) (*in_toto.Link, error) {
	var raw struct {
		Signed     json.RawMessage     `json:"signed"`
		Signatures []in_toto.Signature `json:"signatures"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: link: %v", ErrInvalid, err)
	}
	var link in_toto.Link
	ld := json.NewDecoder(bytes.NewReader(raw.Signed))
	ld.DisallowUnknownFields()
	if err := ld.Decode(&link); err != nil || link.Type != "link" {
		return nil, fmt.Errorf("%w: link body: %v", ErrInvalid, err)
	}
	mb := &in_toto.Metablock{Signed: link, Signatures: raw.Signatures}
	pubPEM, err := keys.MarshalPublic(pub)
	if err != nil {
		return nil, err
	}
	key, err := inTotoKey(pubPEM, pub)
	if err != nil {
		return nil, err
	}
	// in-toto signs the canonical JSON (OLPC) of "signed"; decoding into the
	// Link struct and re-encoding canonically is how in-toto-golang itself
	// verifies, so members outside the Link schema are rejected above
	// rather than silently dropped.
	if err := mb.VerifySignature(key); err != nil {
		return nil, fmt.Errorf("%w: link signature: %v", ErrInvalid, err)
	}
	return &link, nil
}
