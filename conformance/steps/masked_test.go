package steps

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

// blob lays out a masked key by hand (architecture/masked-key.yaml,
// version 1) with a label and a ciphertext of the given lengths.
func blob(label string, c int) []byte {
	b := []byte("IHMK\x01\x01\x01\x00")
	b = append(b, bytes.Repeat([]byte{7}, 16)...) // partition_id
	b = binary.BigEndian.AppendUint32(b, 0)       // session_id
	b = binary.BigEndian.AppendUint32(b, 1)       // key_kind
	b = binary.BigEndian.AppendUint32(b, 3)       // usage
	b = binary.BigEndian.AppendUint16(b, 9)       // tag
	b = binary.BigEndian.AppendUint16(b, uint16(len(label)))
	b = append(b, label...)
	b = append(b, make([]byte, 12)...) // nonce
	b = binary.BigEndian.AppendUint32(b, uint32(c))
	b = append(b, make([]byte, c)...)
	return append(b, make([]byte, 16)...) // gcm_tag
}

func TestMaskedLayout(t *testing.T) {
	sp, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	mk := sp.Architecture.MaskedKey
	b := blob("abc", 5)
	lay, err := maskedLayout(mk, b)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]span{
		"magic": {0, 4}, "partition_id": {8, 16}, "label": {40, 3}, "nonce": {43, 12},
		"ciphertext_length": {55, 4}, "ciphertext": {59, 5}, "gcm_tag": {64, 16},
	} {
		if lay[name] != want {
			t.Errorf("%s at %+v, want %+v", name, lay[name], want)
		}
	}
	if len(lay) != len(mk.Fields) {
		t.Errorf("%d fields laid out, the spec has %d", len(lay), len(mk.Fields))
	}
	for name, bad := range map[string][]byte{
		"one byte short": b[:len(b)-1],
		"one byte more":  append(bytes.Clone(b), 0),
		"header only":    b[:30],
	} {
		if _, err := maskedLayout(mk, bad); err == nil {
			t.Errorf("%s: laid out", name)
		}
	}
}
