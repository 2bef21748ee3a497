package vectors

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
)

// FS holds the vector files: data/<Command>.json, data/common.json,
// data/channel.json and data/malformed.json, each a JSON array of vectors.
//
//go:embed data/*.json README.md
var FS embed.FS

// Vector is one test vector.
type Vector struct {
	// Name is unique, e.g. "Sign/request" or "malformed/duplicate-key".
	Name string `json:"name"`
	// Command is the spec name of the command, Opcode its opcode. A
	// response to no particular request (common/unaddressed-*) has
	// opcode 0 and no command.
	Command string `json:"command"`
	Opcode  uint16 `json:"opcode"`
	// Direction is "request" or "response".
	Direction string `json:"direction"`
	// FrameHex is the whole frame in hex: 4-byte length, then payload.
	FrameHex string `json:"frame_hex"`
	// Channel, when set, holds the session keys that seal the body.
	Channel *Channel `json:"channel,omitempty"`
	// Decoded is the JSON form (package wire, ToJSON) of the frame:
	// {"header": ..., "body": ...}, the body shown in plaintext even when
	// it travels sealed. Malformed vectors have none.
	Decoded json.RawMessage `json:"decoded,omitempty"`
	// Payloads are the JSON forms of the payloads of the body's COSE_Sign1
	// fields (the maps of types.yaml), by field name; COSEKeyHex is the
	// P-384 public key (SEC 1 uncompressed, hex) that verifies them.
	Payloads   map[string]json.RawMessage `json:"payloads,omitempty"`
	COSEKeyHex string                     `json:"cose_key_hex,omitempty"`
	// Expect is the status the vector stands for, by spec name: Success
	// for a well-formed request, the header's status for a response, and
	// the status a device answers for a malformed request.
	Expect string `json:"expect"`
	// Note says what the vector shows.
	Note string `json:"note,omitempty"`
}

// Channel holds the session keys of a sealed vector, in hex, and for a
// request the channel refuses (data/channel.json) the last sequence the
// receiving channel accepted before it.
type Channel struct {
	KC2DHex  string `json:"k_c2d_hex"`
	KD2CHex  string `json:"k_d2c_hex"`
	Accepted uint64 `json:"accepted,omitempty"`
}

// Frame returns the decoded frame bytes.
func (v Vector) Frame() ([]byte, error) { return hex.DecodeString(v.FrameHex) }

// Keys returns the channel keys of a sealed vector.
func (c Channel) Keys() (kC2D, kD2C []byte, err error) {
	if kC2D, err = hex.DecodeString(c.KC2DHex); err != nil {
		return nil, nil, err
	}
	kD2C, err = hex.DecodeString(c.KD2CHex)
	return kC2D, kD2C, err
}

// All returns every vector, sorted by file then order within the file.
func All() ([]Vector, error) {
	names, err := fs.Glob(FS, "data/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var all []Vector
	seen := map[string]bool{}
	for _, n := range names {
		b, err := FS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var vs []Vector
		if err := json.Unmarshal(b, &vs); err != nil {
			return nil, fmt.Errorf("vectors: %s: %w", n, err)
		}
		for _, v := range vs {
			if seen[v.Name] {
				return nil, fmt.Errorf("vectors: %s: duplicate vector %q", n, v.Name)
			}
			seen[v.Name] = true
		}
		all = append(all, vs...)
	}
	return all, nil
}
