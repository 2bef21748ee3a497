package sfr

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Digests are the two firmware digests a short-form report records
// (README "Hashing of Firmware Images": SHA2-384 and SHA2-512).
type Digests struct {
	SHA384 []byte
	SHA512 []byte
}

// DigestReader hashes everything r yields.
func DigestReader(r io.Reader) (Digests, error) {
	h384, h512 := sha512.New384(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h384, h512), r); err != nil {
		return Digests{}, err
	}
	return Digests{SHA384: h384.Sum(nil), SHA512: h512.Sum(nil)}, nil
}

// DigestFile hashes the file at path.
func DigestFile(path string) (Digests, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digests{}, err
	}
	defer f.Close()
	return DigestReader(f)
}

// DigestMismatchError names the digest that differs.
type DigestMismatchError struct {
	// Algorithm is "sha2_384" or "sha2_512", as in the report's field names.
	Algorithm string
	Report    string // hex, as the report records it
	Actual    string // hex, as computed
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("firmware fw_hash_%s mismatch: report has %s, firmware has %s", e.Algorithm, e.Report, e.Actual)
}

// Is makes errors.Is(err, ErrDigestMismatch) hold.
func (e *DigestMismatchError) Is(target error) bool { return target == ErrDigestMismatch }

// CheckFirmwareFile hashes the file at path and compares it with r.
func CheckFirmwareFile(r *Report, path string) error {
	d, err := DigestFile(path)
	if err != nil {
		return fmt.Errorf("hash firmware: %w", err)
	}
	return CheckDigests(r, d)
}

// CheckFirmware hashes fw and compares it with r.
func CheckFirmware(r *Report, fw io.Reader) error {
	d, err := DigestReader(fw)
	if err != nil {
		return fmt.Errorf("hash firmware: %w", err)
	}
	return CheckDigests(r, d)
}

// CheckDigests compares digests with every digest the report records (a
// report may record only one: the Microsoft HSM reports leave SHA-512
// empty). At least one must be recorded; every recorded one must match.
func CheckDigests(r *Report, d Digests) error {
	checked := 0
	for _, c := range []struct {
		alg, want string
		got       []byte
	}{
		{"sha2_384", r.Device.FWHashSHA384, d.SHA384},
		{"sha2_512", r.Device.FWHashSHA512, d.SHA512},
	} {
		if c.want == "" {
			continue
		}
		want, err := hex.DecodeString(strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(c.want, "0x"), "0X")))
		if err != nil || hex.EncodeToString(want) != hex.EncodeToString(c.got) {
			return &DigestMismatchError{Algorithm: c.alg, Report: c.want, Actual: hex.EncodeToString(c.got)}
		}
		checked++
	}
	if checked == 0 {
		return ErrNoDigest
	}
	return nil
}

func hashSum(alg int, data []byte) []byte {
	if alg == hashSHA384 {
		s := sha512.Sum384(data)
		return s[:]
	}
	s := sha512.Sum512(data)
	return s[:]
}

// ManifestJSON returns the text OcpReportLib.py hashes for a manifest:
// Python's json.dumps(manifest, separators=(",", ":")), which keeps the
// key order file_name, file_hash and escapes every non-ASCII character as
// \uXXXX (ensure_ascii) but not "<", ">" or "&".
func ManifestJSON(m []ManifestEntry) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"file_name":`)
		pyString(&b, e.FileName)
		b.WriteString(`,"file_hash":`)
		pyString(&b, e.FileHash)
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// pyString writes s as Python's json module does with ensure_ascii=True.
func pyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7F && r < 0x10000):
				if r == 0x7F {
					b.WriteRune(r)
					continue
				}
				b.WriteString(`\u` + pad4(r))
			case r >= 0x10000:
				hi, lo := utf16.EncodeRune(r)
				b.WriteString(`\u` + pad4(hi) + `\u` + pad4(lo))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

func pad4(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	return strings.Repeat("0", 4-len(s)) + s
}
