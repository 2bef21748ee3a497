package transcript

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func record(t *testing.T) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	r := New(&buf)
	r.Record(Request, "s1", []byte{0xa2, 0x01, 0xa0, 0x02, 0xa0})
	r.Record(Response, "s1", []byte{0xa1, 0x01, 0xa0})
	r.Record(Request, "s2", nil)
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	d, n := r.Digest()
	if n != 3 {
		t.Fatalf("frames = %d, want 3", n)
	}
	return &buf, d
}

func TestVerifyMatchesDigest(t *testing.T) {
	buf, want := record(t)
	got, n, err := Verify(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got != want || n != 3 {
		t.Fatalf("Verify = %s, %d; want %s, 3", got, n, want)
	}
}

func TestVerifyRejectsEdits(t *testing.T) {
	buf, want := record(t)
	lines := strings.SplitAfter(buf.String(), "\n")
	cases := map[string]string{
		"flipped frame byte": strings.Replace(buf.String(), "a201a002a0", "a201a002a1", 1),
		"reordered":          lines[1] + lines[0] + lines[2],
		"direction changed":  strings.Replace(buf.String(), `"direction":"response"`, `"direction":"request"`, 1),
	}
	for name, edited := range cases {
		t.Run(name, func(t *testing.T) {
			got, _, err := Verify(strings.NewReader(edited))
			if err == nil && got == want {
				t.Fatal("edited transcript verified with the original digest")
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		got, _, err := Verify(strings.NewReader(lines[0] + lines[1]))
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			t.Fatal("truncated transcript has the original digest")
		}
	})
	t.Run("chain value forged", func(t *testing.T) {
		forged := strings.Replace(lines[0], `"chain":"`, `"chain":"00`, 1) + lines[1] + lines[2]
		if _, _, err := Verify(strings.NewReader(forged)); !errors.Is(err, ErrBroken) {
			t.Fatalf("err = %v, want ErrBroken", err)
		}
	})
}

func TestDigestWithoutFile(t *testing.T) {
	a := New(nil)
	b := New(nil)
	a.Record(Request, "x", []byte{1})
	b.Record(Response, "x", []byte{1})
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da == db {
		t.Fatal("direction is not bound into the chain")
	}
}
