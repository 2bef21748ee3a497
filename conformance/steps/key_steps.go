package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// registerKeys installs the steps of the key, limit and partition
// features: values made by the scenario (bytes, tags, altered copies),
// requests repeated over every byte of a field or until a limit, requests
// carried to another partition's endpoint, and outcomes about lists,
// public keys, capabilities and the spec's limits.
//
//	Given the bytes <value> as @<v>                       a value, e.g. random:32, kept for later steps
//	Given a new tag as @<t>                               a tag no other scenario of the run uses
//	Given @<v> is @<w> with byte <n> flipped              n counts from the end when negative
//	Given @<v> is @<w> truncated to <n> bytes
//	Given @<v> is @<w> without its last <n> byte(s)
//	Given @<v> is @<w> with <value> appended
//	When I send <Command> with the body <value>           the body bytes as given, sealed when the command runs in a session
//	When I send <Command> with each byte of its <field> altered in turn, with:
//	Then the status is one of <Status>, <Status>[, <Status>...]
//	Then every status is one of <Status>[, <Status>...]   the outcomes of the requests of the step before
//	When I send every command except <Command>[, <Command>...][ and <Command>]   each with an empty body
//	When I create keys up to the limit                    GenerateKey until the partition holds max_keys keys
//	When I send <Command> to partition <P> in session "<s>"   sealed in a session of the current partition, sent to P's endpoint
//	Then the entry of <list> holding <value> has <list> <value>   parallel lists (ListKeys)
//	Then the response field <f> holds a public key of kind <Kind>
//	Then the response field <f> equals the spec limit <limit>
//	Then the response field <f> differs from <value>
//	Then the response field <f> names every mandatory feature of profile <p>
//	Then every item of the response field <f> is a feature of the spec
//	Then the status is Success if the device declares <value> in <field>, otherwise <Status>
func registerKeys(st func(string, any)) {
	st(`^the bytes (\S+) as @(\w+)$`, with2(func(ctx context.Context, s *Scenario, v, name string) error {
		b, err := s.bytesValue(v)
		if err != nil {
			return err
		}
		s.saved[name] = b
		return nil
	}))
	st(`^a new tag as @(\w+)$`, with1(func(ctx context.Context, s *Scenario, name string) error {
		s.saved[name] = uint64(s.env.newTag())
		return nil
	}))
	st(`^@(\w+) is @(\w+) with byte (-?\d+) flipped$`, func(ctx context.Context, name, from, at string) error {
		return State(ctx).alter(name, from, func(b []byte) ([]byte, error) {
			i, err := strconv.Atoi(at)
			if err != nil {
				return nil, err
			}
			if i < 0 {
				i += len(b)
			}
			if i < 0 || i >= len(b) {
				return nil, fmt.Errorf("byte %s of a %d-byte value", at, len(b))
			}
			b[i] ^= 0x01
			return b, nil
		})
	})
	st(`^@(\w+) is @(\w+) truncated to (\d+) bytes$`, func(ctx context.Context, name, from, n string) error {
		return State(ctx).alter(name, from, func(b []byte) ([]byte, error) {
			k, _ := strconv.Atoi(n)
			if k > len(b) {
				return nil, fmt.Errorf("cannot truncate %d bytes to %d", len(b), k)
			}
			return b[:k], nil
		})
	})
	st(`^@(\w+) is @(\w+) without its last (\d+) bytes?$`, func(ctx context.Context, name, from, n string) error {
		return State(ctx).alter(name, from, func(b []byte) ([]byte, error) {
			k, _ := strconv.Atoi(n)
			if k > len(b) {
				return nil, fmt.Errorf("cannot drop %d of %d bytes", k, len(b))
			}
			return b[:len(b)-k], nil
		})
	})
	st(`^@(\w+) is @(\w+) with (\S+) appended$`, func(ctx context.Context, name, from, v string) error {
		s := State(ctx)
		tail, err := s.bytesValue(v)
		if err != nil {
			return err
		}
		return s.alter(name, from, func(b []byte) ([]byte, error) { return append(b, tail...), nil })
	})

	st(`^I send (\w+) with the body (\S+)$`, with2(func(ctx context.Context, s *Scenario, cmd, v string) error {
		return s.sendBody(ctx, cmd, v)
	}))
	st(`^I send (\w+) with each byte of its (\w+) altered in turn, with:$`,
		func(ctx context.Context, cmd, field string, t *godog.Table) error {
			return State(ctx).eachByte(ctx, cmd, field, t)
		})
	st(`^the status is one of (\w+(?:, \w+)+)$`, with1(func(ctx context.Context, s *Scenario, list string) error {
		for _, n := range strings.Split(list, ", ") {
			if _, ok := rc.ByName(n); !ok {
				return fmt.Errorf("the spec has no status %q", n)
			}
			if s.statusIs(n) == nil {
				return nil
			}
		}
		if s.last == nil {
			return errors.New("no request was sent")
		}
		return fmt.Errorf("%s: status %s, want one of %s", s.last.name(), statusName(s.last.status), list)
	}))
	st(`^every status is one of (\w+(?:, \w+)*)$`, with1(func(ctx context.Context, s *Scenario, list string) error {
		return s.everyStatus(strings.Split(list, ", "))
	}))
	st(`^I send every command except (\w+(?:, \w+)*(?: and \w+)?)$`, with1(func(ctx context.Context, s *Scenario, list string) error {
		return s.everyCommand(ctx, strings.FieldsFunc(strings.ReplaceAll(list, " and ", ", "), func(r rune) bool { return r == ',' || r == ' ' }))
	}))
	st(`^I create keys up to the limit$`, with(func(ctx context.Context, s *Scenario) error { return s.fillKeys(ctx) }))
	st(`^I send (\w+) to partition ([A-Z]) in session "(\w+)"$`, func(ctx context.Context, cmd, p, name string) error {
		return State(ctx).crossPartition(ctx, cmd, p, name)
	})

	st(`^the entry of (\w+) holding (\S+) has (\w+) (\S+)$`, func(ctx context.Context, list, v, other, want string) error {
		return State(ctx).entryHas(list, v, other, want)
	})
	st(`^the response field (\w+) holds a public key of kind (\w+)$`, with2(func(ctx context.Context, s *Scenario, f, kind string) error {
		return s.publicKeyOfKind(f, kind)
	}))
	st(`^the response field (\w+) equals the spec limit (\w+)$`, with2(func(ctx context.Context, s *Scenario, f, limit string) error {
		l := s.env.Spec.Limit(limit)
		if l == nil {
			return fmt.Errorf("the spec has no limit %q", limit)
		}
		return s.fieldIs(f, strconv.FormatUint(l.Value, 10))
	}))
	st(`^the response field (\w+) differs from ([^@].*)$`, with2(func(ctx context.Context, s *Scenario, f, v string) error {
		got, err := s.responseValue(s.last, f)
		if err != nil {
			return err
		}
		want, err := s.parseValue(model.Lookup(s.last.cmd.Response, f), v)
		if err != nil {
			return err
		}
		if equalValues(got, want) {
			return fmt.Errorf("%s.%s is %s", s.last.name(), f, showValue(got))
		}
		return nil
	}))
	st(`^the response field (\w+) names every mandatory feature of profile (\w+)$`, with2(func(ctx context.Context, s *Scenario, f, profile string) error {
		p := s.env.Spec.Profile(profile)
		if p == nil {
			return fmt.Errorf("the spec has no profile %q", profile)
		}
		for _, feat := range p.Mandatory {
			if err := s.fieldContains(f, true, "text:"+feat); err != nil {
				return err
			}
		}
		return nil
	}))
	st(`^every item of the response field (\w+) is a feature of the spec$`, with1(func(ctx context.Context, s *Scenario, f string) error {
		v, err := s.responseValue(s.last, f)
		if err != nil {
			return err
		}
		list, _ := v.([]any)
		for _, it := range list {
			name, _ := it.(string)
			if s.env.Spec.Feature(name) == nil {
				return fmt.Errorf("%s.%s names %q, which is no feature of spec.yaml", s.last.name(), f, name)
			}
		}
		return nil
	}))
	st(`^the status is Success if the device declares (\S+) in (\w+), otherwise (\w+)$`, func(ctx context.Context, v, field, otherwise string) error {
		return State(ctx).statusByCapability(ctx, v, field, otherwise)
	})
}

// bytesValue parses a value as the bytes of a field.
func (s *Scenario) bytesValue(v string) ([]byte, error) {
	x, err := s.parseValue(&model.Field{Name: "value", Type: model.TypeBytes}, v)
	if err != nil {
		return nil, err
	}
	switch b := x.(type) {
	case []byte:
		return slices.Clone(b), nil
	case string:
		return []byte(b), nil
	}
	return nil, fmt.Errorf("%s is not a bytes value", v)
}

// alter saves as name a changed copy of the bytes saved as from.
func (s *Scenario) alter(name, from string, fn func([]byte) ([]byte, error)) error {
	v, ok := s.saved[from]
	if !ok {
		return fmt.Errorf("nothing saved as @%s", from)
	}
	b, ok := v.([]byte)
	if !ok {
		return fmt.Errorf("@%s is not a bytes value", from)
	}
	out, err := fn(slices.Clone(b))
	if err != nil {
		return fmt.Errorf("@%s: %w", from, err)
	}
	s.saved[name] = out
	return nil
}

// aside runs fn, a request the step needs for itself, and then restores
// the scenario's last exchange, so the scenario's next outcome is about
// its own request.
func (s *Scenario) aside(fn func() error) error {
	saved, checked := s.last, s.checked
	err := fn()
	s.last, s.checked = saved, checked
	return err
}

// sendBody sends cmd with a body of the given bytes: sealed in the
// current session for an in-session command, in plaintext otherwise.
func (s *Scenario) sendBody(ctx context.Context, name, v string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	raw, err := s.bytesValue(v)
	if err != nil {
		return err
	}
	return s.sendBytes(ctx, cmd, raw)
}

// loopKey keeps the exchanges of the last step that sent many requests.
const loopKey = "\x00loop"

// eachByte sends cmd once for every byte of field, with that byte
// altered (the low bit flipped) and the other fields as the table says.
// Every response is checked like any other.
func (s *Scenario) eachByte(ctx context.Context, name, field string, t *godog.Table) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	table, err := tableMap(t)
	if err != nil {
		return err
	}
	base, ok := table[field]
	if !ok {
		return fmt.Errorf("the table gives no %s", field)
	}
	b, err := s.bytesValue(base)
	if err != nil {
		return err
	}
	var xs []*exchange
	for i := range b {
		alt := slices.Clone(b)
		alt[i] ^= 0x01
		s.saved["\x00byte"] = alt
		table[field] = "@\x00byte"
		if err := s.send(ctx, cmd, table, sendMode{}); err != nil {
			return fmt.Errorf("byte %d: %w", i, err)
		}
		if s.last.problem != nil {
			s.checked = true
			return fmt.Errorf("byte %d: response to %s: %w", i, name, s.last.problem)
		}
		xs = append(xs, s.last)
	}
	delete(s.saved, "\x00byte")
	s.saved[loopKey] = xs
	return nil
}

// everyCommand sends every command of the spec but the named ones, each
// with an empty body: sealed in the current session for an in-session or
// closing command (in plaintext when the scenario has none), in plaintext
// otherwise. It is for the checks a device makes before it reads a body
// (the device state, spec: IHSM-WIRE-013).
func (s *Scenario) everyCommand(ctx context.Context, except []string) error {
	for _, n := range except {
		if _, err := s.command(n); err != nil {
			return err
		}
	}
	empty, err := encMode.Marshal(map[uint64]any{})
	if err != nil {
		return err
	}
	var xs []*exchange
	for i := range s.env.Spec.Commands {
		cmd := &s.env.Spec.Commands[i]
		if slices.Contains(except, cmd.Name) {
			continue
		}
		inSession := cmd.Session == model.SessionIn || cmd.Session == model.SessionCloses
		if inSession && s.session() != nil {
			err = s.sealedSend(ctx, cmd, empty, sealing{})
		} else {
			err = s.sendPlain(ctx, cmd, empty)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", cmd.Name, err)
		}
		if s.last.problem != nil {
			s.checked = true
			return fmt.Errorf("response to %s: %w", cmd.Name, s.last.problem)
		}
		xs = append(xs, s.last)
	}
	s.saved[loopKey] = xs
	return nil
}

func (s *Scenario) everyStatus(names []string) error {
	xs, ok := s.saved[loopKey].([]*exchange)
	if !ok || len(xs) == 0 {
		return errors.New("no step sent a series of requests")
	}
	var want []rc.Code
	for _, n := range names {
		c, ok := rc.ByName(n)
		if !ok {
			return fmt.Errorf("the spec has no status %q", n)
		}
		want = append(want, c)
	}
	var bad []string
	for i, x := range xs {
		if !slices.Contains(want, x.status) {
			bad = append(bad, fmt.Sprintf("request %d (%s): %s", i, x.name(), statusName(x.status)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d requests answered otherwise: %s", len(bad), len(xs), strings.Join(bad, "; "))
	}
	return nil
}

// fillKeys generates session-only AES keys in the current session until
// the partition holds max_keys keys: ListKeys tells how many the session
// sees already (in a @serial scenario, every key of the partition).
func (s *Scenario) fillKeys(ctx context.Context) error {
	if !s.hasTag("@serial") {
		return errors.New("filling the partition with keys needs a @serial scenario")
	}
	l := s.env.Spec.Limit("max_keys")
	if l == nil {
		return errors.New("the spec has no max_keys limit")
	}
	var held int
	err := s.aside(func() error {
		if err := s.must(ctx, "ListKeys", nil, sendMode{}, rc.Success); err != nil {
			return err
		}
		v, err := s.responseValue(s.last, "key_handles")
		if err != nil {
			return err
		}
		list, _ := v.([]any)
		held = len(list)
		for i := held; i < int(l.Value); i++ {
			if err := s.must(ctx, "GenerateKey", map[string]string{"kind": "Aes128", "usage": "Encrypt|SessionOnly"}, sendMode{}, rc.Success); err != nil {
				return fmt.Errorf("key %d of %d: %w", i+1, l.Value, err)
			}
		}
		return nil
	})
	return err
}

// crossPartition seals a request in the named session of the current
// partition, as that session's next request, and sends it to partition
// p's endpoint instead.
func (s *Scenario) crossPartition(ctx context.Context, name, p, session string) error {
	cmd, err := s.command(name)
	if err != nil {
		return err
	}
	se, err := s.namedSession(session)
	if err != nil {
		return err
	}
	target := int(p[0] - 'A')
	if target >= s.env.Driver.Partitions() {
		return fmt.Errorf("partition %s: the driver has %d partition endpoints (tag the scenario @two-partitions)", p, s.env.Driver.Partitions())
	}
	raw, err := s.requestBody(cmd, nil, nil)
	if err != nil {
		return err
	}
	s.nextID++
	h := wire.RequestHeader{Revision: wire.Revision, Opcode: cmd.Opcode, RequestID: s.nextID, SessionID: se.id, Sequence: se.seq + 1}
	frame, err := wire.EncodeRequest(h, wire.Envelope{Sealed: se.sealRequest(&h, raw)})
	if err != nil {
		return err
	}
	home := s.part
	s.part = target
	defer func() { s.part = home }()
	// A sealed answer would have to open under the session's keys: the
	// exchange names the session so that checkResponse tries them.
	return s.roundTrip(ctx, &exchange{cmd: cmd, header: h, frame: frame, session: se})
}

// entryHas checks parallel lists of a response (ListKeys: key_handles,
// kinds, tags): the entry of list that equals v has want in other.
func (s *Scenario) entryHas(list, v, other, want string) error {
	x := s.last
	if x == nil || x.cmd == nil {
		return errors.New("no request was sent")
	}
	lv, err := s.responseValue(x, list)
	if err != nil {
		return err
	}
	ov, err := s.responseValue(x, other)
	if err != nil {
		return err
	}
	l, _ := lv.([]any)
	o, _ := ov.([]any)
	if len(l) != len(o) {
		return fmt.Errorf("%s.%s has %d entries and %s %d", x.name(), list, len(l), other, len(o))
	}
	lf, of := model.Lookup(x.cmd.Response, list), model.Lookup(x.cmd.Response, other)
	key, err := s.parseValue(&model.Field{Name: list, Type: lf.Items, Enum: lf.Enum}, v)
	if err != nil {
		return err
	}
	w, err := s.parseValue(&model.Field{Name: other, Type: of.Items, Enum: of.Enum}, want)
	if err != nil {
		return err
	}
	for i, it := range l {
		if equalValues(it, key) {
			if !equalValues(o[i], w) {
				return fmt.Errorf("%s.%s of %s is %s, want %s", x.name(), other, showValue(key), showValue(o[i]), showValue(w))
			}
			return nil
		}
	}
	return fmt.Errorf("%s.%s does not hold %s", x.name(), list, showValue(key))
}

// Object identifiers of the post-quantum public keys (NIST CSOR, FIPS 203
// and 204; IETF LAMPS SubjectPublicKeyInfo).
var (
	oidMLDSA65  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLKEM768 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 2}
)

// spki is a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
type spki struct {
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	PublicKey asn1.BitString
}

// parsePQPublicKey returns the raw key of an ML-DSA-65 or ML-KEM-768
// SubjectPublicKeyInfo.
func parsePQPublicKey(der []byte) (asn1.ObjectIdentifier, []byte, error) {
	var k spki
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil || len(rest) != 0 {
		return nil, nil, errors.New("not a DER SubjectPublicKeyInfo")
	}
	return k.Algorithm.Algorithm, k.PublicKey.RightAlign(), nil
}

// publicKeyOfKind checks that a response field is a DER
// SubjectPublicKeyInfo of the key kind's algorithm and size.
func (s *Scenario) publicKeyOfKind(f, kind string) error {
	der, err := s.fieldBytes(s.last, f)
	if err != nil {
		return err
	}
	return checkPublicKeyKind(der, kind)
}

func checkPublicKeyKind(der []byte, kind string) error {
	if kind == "MlDsa65" || kind == "MlKem768" {
		oid, raw, err := parsePQPublicKey(der)
		if err != nil {
			return err
		}
		want, size := oidMLDSA65, 1952 // FIPS 204 Table 2
		if kind == "MlKem768" {
			want, size = oidMLKEM768, 1184 // FIPS 203 §8
		}
		if !oid.Equal(want) || len(raw) != size {
			return fmt.Errorf("public key of algorithm %v and %d bytes, want %s", oid, len(raw), kind)
		}
		return nil
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("public key: %w", err)
	}
	curves := map[string]elliptic.Curve{"EccP256": elliptic.P256(), "EccP384": elliptic.P384(), "EccP521": elliptic.P521()}
	bits := map[string]int{"Rsa2048": 2048, "Rsa3072": 3072, "Rsa4096": 4096}
	switch k := pk.(type) {
	case *ecdsa.PublicKey:
		if c, ok := curves[kind]; ok && k.Curve == c {
			return nil
		}
		return fmt.Errorf("an ECC public key on %s, want %s", k.Curve.Params().Name, kind)
	case *rsa.PublicKey:
		if n, ok := bits[kind]; ok && k.N.BitLen() == n {
			return nil
		}
		return fmt.Errorf("an RSA-%d public key, want %s", k.N.BitLen(), kind)
	case ed25519.PublicKey:
		if kind == "Ed25519" {
			return nil
		}
	}
	return fmt.Errorf("a %T public key, want %s", pk, kind)
}

// statusByCapability checks the last status against what the device
// declares: Success if GetCapabilities lists v in field, the given
// status otherwise.
func (s *Scenario) statusByCapability(ctx context.Context, v, field, otherwise string) error {
	var declared bool
	err := s.aside(func() error {
		if err := s.must(ctx, "GetCapabilities", nil, sendMode{}, rc.Success); err != nil {
			return err
		}
		got, err := s.responseValue(s.last, field)
		if err != nil {
			return err
		}
		f := model.Lookup(s.last.cmd.Response, field)
		want, err := s.parseValue(&model.Field{Name: field, Type: f.Items, Enum: f.Enum}, v)
		if err != nil {
			return err
		}
		list, _ := got.([]any)
		declared = slices.ContainsFunc(list, func(x any) bool { return equalValues(x, want) })
		return nil
	})
	if err != nil {
		return err
	}
	if declared {
		if err := s.statusIs("Success"); err != nil {
			return fmt.Errorf("the device declares %s: %w", v, err)
		}
		return nil
	}
	if err := s.statusIs(otherwise); err != nil {
		return fmt.Errorf("the device does not declare %s: %w", v, err)
	}
	return nil
}
