package masking

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"testing"
)

func gcm(t testing.TB, b byte) cipher.AEAD {
	t.Helper()
	c, _ := aes.NewCipher(bytes.Repeat([]byte{b}, 32))
	g, _ := cipher.NewGCM(c)
	return g
}

var pid = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

func sample(t testing.TB) []byte {
	t.Helper()
	b, err := Seal(gcm(t, 1), Header{Scope: ScopePartition, PartitionID: pid, Kind: 9, Usage: 12, Tag: 5, Label: "lbl"}, []byte("\x01key material"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTripAndLayout(t *testing.T) {
	b := sample(t)
	if string(b[:4]) != "IHMK" || b[4] != 1 || b[5] != 1 || b[6] != 1 || b[7] != 0 || len(b) != 56+3+13+16 {
		t.Fatalf("layout: %x", b)
	}
	h, pt, err := Open(b, pid, 0, gcm(t, 1), nil)
	if err != nil || string(pt.Expose()) != "\x01key material" || h.Kind != 9 || h.Usage != 12 || h.Tag != 5 || h.Label != "lbl" {
		t.Fatalf("Open: %+v %v", h, err)
	}
	// session scope
	sb, err := Seal(gcm(t, 2), Header{Scope: ScopeSession, PartitionID: pid, SessionID: 7, Kind: 1, Usage: 1}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(sb, pid, 7, gcm(t, 1), gcm(t, 2)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(sb, pid, 8, gcm(t, 1), gcm(t, 2)); !errors.Is(err, ErrWrongPartition) {
		t.Fatalf("other session: %v", err)
	}
	if _, _, err := Open(sb, pid, 7, gcm(t, 1), gcm(t, 3)); !errors.Is(err, ErrTampered) {
		t.Fatalf("wrong session key: %v", err)
	}
	if _, err := Seal(gcm(t, 1), Header{Scope: ScopeSession, PartitionID: pid}, nil); !errors.Is(err, ErrMalformed) {
		t.Fatal("session scope without session id sealed")
	}
}

func TestTampering(t *testing.T) {
	b := sample(t)
	other := pid
	other[0] ^= 1
	set := func(i int, v byte) []byte { c := bytes.Clone(b); c[i] = v; return c }
	cases := []struct {
		name string
		blob []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"truncated header", b[:30], ErrMalformed},
		{"truncated tag", b[:len(b)-1], ErrMalformed},
		{"extra byte", append(bytes.Clone(b), 0), ErrMalformed},
		{"bad magic", set(0, 'X'), ErrMalformed},
		{"version 2", set(4, 2), ErrVersionUnsupported},
		{"aead 2", set(5, 2), ErrVersionUnsupported},
		{"scope 3", set(6, 3), ErrMalformed},
		{"reserved", set(7, 1), ErrMalformed},
		{"label too long", set(39, 65), ErrMalformed},
		{"ciphertext length", set(52+3+3, b[58]+1), ErrMalformed},
		{"session id on partition scope", set(27, 1), ErrTampered},
		{"kind changed", set(31, 10), ErrTampered},
		{"usage changed", set(35, 13), ErrTampered},
		{"tag changed", set(37, 6), ErrTampered},
		{"label changed", set(40, 'X'), ErrTampered},
		{"nonce changed", set(45, b[45]^1), ErrTampered},
		{"ciphertext changed", set(60, b[60]^1), ErrTampered},
		{"gcm tag changed", set(len(b)-1, b[len(b)-1]^1), ErrTampered},
		// IHSM-MSK-012: structure before version and AEAD.
		{"version 2 and reserved", func() []byte { c := set(4, 2); c[7] = 1; return c }(), ErrMalformed},
		{"aead 2 and scope 3", func() []byte { c := set(5, 2); c[6] = 3; return c }(), ErrMalformed},
		{"version 2 and a byte too many", append(set(4, 2), 0), ErrMalformed},
		{"version 2, shorter than 72 bytes", set(4, 2)[:71], ErrMalformed},
	}
	for _, c := range cases {
		if _, _, err := Open(c.blob, pid, 0, gcm(t, 1), nil); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, _, err := Open(b, other, 0, gcm(t, 1), nil); !errors.Is(err, ErrWrongPartition) {
		t.Errorf("other partition: %v", err)
	}
	if _, _, err := Open(b, pid, 0, gcm(t, 9), nil); !errors.Is(err, ErrTampered) {
		t.Errorf("other masking key: %v", err)
	}
}

// TestCheckOrder has one row per condition of the spec's check order
// (architecture/masked-key.yaml). Each row's blob has its defect and also
// one defect of every later stage (version 2 and AEAD 2, another
// partition, a flipped GCM tag), so the row passes only if its own stage is
// checked first.
func TestCheckOrder(t *testing.T) {
	good := sample(t) // L = 3, C = 13: 88 bytes
	other := pid
	other[15] ^= 0xff
	type mod func([]byte) []byte
	at := func(i int, v byte) mod { return func(b []byte) []byte { b[i] = v; return b } }
	version := []mod{at(4, 2), at(5, 2)}
	binding := []mod{func(b []byte) []byte { copy(b[8:24], other[:]); return b }}
	tag := []mod{func(b []byte) []byte { b[len(b)-1] ^= 1; return b }}
	later := func(stages ...[]mod) []mod {
		var out []mod
		for _, s := range stages {
			out = append(out, s...)
		}
		return out
	}
	rows := []struct {
		condition string
		defect    mod
		later     []mod
		want      error
	}{
		{"shorter than 72 bytes", func(b []byte) []byte { return b[:71] }, later(version), ErrMalformed},
		{"30 bytes", func(b []byte) []byte { return b[:30] }, later(version), ErrMalformed},
		{"magic not IHMK", at(3, 'X'), later(version, binding, tag), ErrMalformed},
		{"reserved not 0", at(7, 1), later(version, binding, tag), ErrMalformed},
		{"scope 0", at(6, 0), later(version, binding, tag), ErrMalformed},
		{"scope 3", at(6, 3), later(version, binding, tag), ErrMalformed},
		{"L above 64", at(39, 65), later(version, binding, tag), ErrMalformed},
		{"blob one byte short of 56+L+C+16", func(b []byte) []byte { return b[:len(b)-1] }, later(version, binding), ErrMalformed},
		{"blob one byte over 56+L+C+16", func(b []byte) []byte { return append(b, 0) }, later(version, binding), ErrMalformed},
		{"C one more than the ciphertext", at(58, good[58]+1), later(version, binding, tag), ErrMalformed},
		{"version 2", at(4, 2), later(binding, tag), ErrVersionUnsupported},
		{"version 0", at(4, 0), later(binding, tag), ErrVersionUnsupported},
		{"aead 2", at(5, 2), later(binding, tag), ErrVersionUnsupported},
		{"partition_id of another partition", binding[0], later(tag), ErrWrongPartition},
		{"GCM tag", tag[0], nil, ErrTampered},
		{"session_id on a scope-1 blob", at(27, 1), nil, ErrTampered},
		{"header byte under the tag (usage)", at(35, 13), nil, ErrTampered},
	}
	for _, r := range rows {
		t.Run(r.condition, func(t *testing.T) {
			b := bytes.Clone(good)
			for _, m := range r.later {
				b = m(b)
			}
			b = r.defect(b)
			if _, _, err := Open(b, pid, 0, gcm(t, 1), nil); !errors.Is(err, r.want) {
				t.Fatalf("%v, want %v", err, r.want)
			}
			// The defect alone gives the same answer.
			if _, _, err := Open(r.defect(bytes.Clone(good)), pid, 0, gcm(t, 1), nil); !errors.Is(err, r.want) {
				t.Fatalf("defect alone: %v, want %v", err, r.want)
			}
		})
	}

	// Session scope: the binding is the current session (scope 2).
	sb, err := Seal(gcm(t, 2), Header{Scope: ScopeSession, PartitionID: pid, SessionID: 7, Kind: 1, Usage: 1}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sb)
	flipped[len(flipped)-1] ^= 1
	for _, r := range []struct {
		condition string
		session   uint32
		key       cipher.AEAD
	}{
		{"scope 2 outside a session", 0, nil},
		{"scope 2 in another session", 8, gcm(t, 2)},
	} {
		if _, _, err := Open(flipped, pid, r.session, gcm(t, 1), r.key); !errors.Is(err, ErrWrongPartition) {
			t.Errorf("%s: %v, want ErrWrongPartition", r.condition, err)
		}
	}
	zero := bytes.Clone(sb)
	zero[24], zero[25], zero[26], zero[27] = 0, 0, 0, 0
	if _, _, err := Open(zero, pid, 0, gcm(t, 1), gcm(t, 2)); !errors.Is(err, ErrWrongPartition) {
		t.Errorf("scope 2 with session_id 0 outside a session: %v, want ErrWrongPartition", err)
	}
}

// FuzzUnmask: Open never panics, and never accepts a blob other than the
// one Seal produced.
func FuzzUnmask(f *testing.F) {
	// a fixed nonce, so every fuzz worker agrees on the one valid blob
	good, err := seal(gcm(f, 1), Header{Scope: ScopePartition, PartitionID: pid, Kind: 9, Usage: 12, Label: "lbl"}, []byte("\x01k"), [12]byte{1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte("IHMK\x02\x01"))
	key := gcm(f, 1)
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, pt, err := Open(blob, pid, 0, key, nil)
		if err == nil && !bytes.Equal(blob, good) {
			t.Fatalf("mutated blob accepted: %+v %v", h, pt)
		}
		if err != nil && pt != nil {
			t.Fatal("error with plaintext")
		}
	})
}
