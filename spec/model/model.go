package model

import "gopkg.in/yaml.v3"

// Pos is where an element was defined: the spec file (relative to the spec
// root) and its line. Lint messages name it, or the line of one of its keys
// or list items (Key, Item).
type Pos struct {
	File string `yaml:"-" json:"-"`
	Line int    `yaml:"-" json:"-"`

	node *yaml.Node // the element's YAML node, for Key and Item
}

// Key returns the position of the element's key name (the line it is
// written on), or p when the element has no such key.
func (p Pos) Key(name string) Pos {
	if p.node == nil {
		return p
	}
	if k := keyNode(p.node, name); k != nil {
		return Pos{File: p.File, Line: k.Line, node: valueOf(p.node, k)}
	}
	return p
}

// Item returns the position of item i of the element's list under key
// name, or the key's position when there is no such item.
func (p Pos) Item(name string, i int) Pos {
	k := p.Key(name)
	if k.node == nil || k.node.Kind != yaml.SequenceNode || i < 0 || i >= len(k.node.Content) {
		return k
	}
	return Pos{File: p.File, Line: k.node.Content[i].Line, node: k.node.Content[i]}
}

// Spec is the whole specification, loaded from the files under spec/.
type Spec struct {
	Meta         Meta           // spec.yaml
	Wire         Wire           // wire.yaml
	Types        Types          // types.yaml
	Status       []Status       // status.yaml
	Commands     []Command      // commands/*.yaml, in opcode order
	States       []StateMachine // states.yaml
	Requirements []Requirement  // requirements/*.yaml, in id order
	Architecture Architecture   // architecture/*.yaml
}

// Meta is spec.yaml: the version of the spec, the API revision spoken on the
// wire, the conformance profiles and the optional features.
type Meta struct {
	Pos         `yaml:"-"`
	Title       string      `yaml:"title"`
	Version     string      `yaml:"version"` // semver of the spec document
	APIRevision APIRevision `yaml:"api_revision"`
	Profiles    []Profile   `yaml:"profiles"`
	Features    []Feature   `yaml:"features"`
}

// APIRevision is the protocol revision carried in every request header.
type APIRevision struct {
	Major int `yaml:"major"`
	Minor int `yaml:"minor"`
}

// Profile is a named set of requirements a device claims as a whole.
type Profile struct {
	Pos         `yaml:"-"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Mandatory   []string `yaml:"mandatory_features"` // features a device claiming the profile must have
}

// Feature is an optional capability a device reports in GetCapabilities.
type Feature struct {
	Pos         `yaml:"-"`
	Name        string `yaml:"name"` // e.g. alg.mldsa65
	Profile     string `yaml:"profile"`
	Description string `yaml:"description"`
}

// Wire is wire.yaml: framing, the message envelope, the headers and the
// session channel protection.
type Wire struct {
	Pos            `yaml:"-"`
	Framing        Framing    `yaml:"framing"`
	Envelope       []Field    `yaml:"envelope"`
	RequestHeader  []Field    `yaml:"request_header"`
	ResponseHeader []Field    `yaml:"response_header"`
	Channel        Channel    `yaml:"channel"`
	CommonErrors   []ErrorRow `yaml:"common_errors"` // rows that apply to every command, filtered by Sessions
	Encoding       string     `yaml:"encoding"`      // prose: deterministic CBOR rules
}

// Framing is how messages are delimited on a byte stream.
type Framing struct {
	LengthPrefix int    `yaml:"length_prefix"` // bytes, big-endian
	MaxFrame     int    `yaml:"max_frame"`     // bytes of payload after the prefix
	Description  string `yaml:"description"`
}

// Channel is the protection of in-session messages.
type Channel struct {
	AEAD        string   `yaml:"aead"`
	KDF         string   `yaml:"kdf"`
	KeyExchange string   `yaml:"key_exchange"`
	Labels      []Label  `yaml:"labels"` // HKDF info strings, byte exact
	Description string   `yaml:"description"`
	Rules       []string `yaml:"rules"`
}

// Label is a named byte string used in a key derivation.
type Label struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
	Doc   string `yaml:"doc"`
}

// Types is types.yaml: enumerations and bit sets used by fields, and the
// maps carried inside byte strings (the payloads of signed reports).
type Types struct {
	Enums     []Enum     `yaml:"enums"`
	Flags     []Flags    `yaml:"flags"`
	KeyPolicy *KeyPolicy `yaml:"key_policy,omitempty"`
	Maps      []Map      `yaml:"maps,omitempty"`
}

// The types the key policy is written over.
const (
	KeyKindEnum   = "KeyKind"
	KeyUsageFlags = "KeyUsage"
	AlgorithmEnum = "Algorithm"
)

// KeyPolicy is what a key of each kind may be used for and which
// algorithms it fits (IHSM-KEY-009, IHSM-CRY-017).
type KeyPolicy struct {
	Pos         `yaml:"-"`
	Description string       `yaml:"description"`
	AllKinds    []string     `yaml:"all_kinds,omitempty"` // KeyUsage bits every kind may carry
	Kinds       []KindPolicy `yaml:"kinds"`
}

// KindPolicy is the policy of one KeyKind value.
type KindPolicy struct {
	Pos        `yaml:"-"`
	Kind       string   `yaml:"kind"`       // a KeyKind value name
	Usages     []string `yaml:"usages"`     // KeyUsage bit names the kind permits
	Algorithms []string `yaml:"algorithms"` // Algorithm value names the kind fits
}

// Map is a named deterministic CBOR map that travels inside a byte string
// rather than as a message body: the payload of a COSE_Sign1 report.
type Map struct {
	Pos    `yaml:"-"`
	Name   string  `yaml:"name"` // Go type name, e.g. KeyAttestationPayload
	Doc    string  `yaml:"doc"`
	Fields []Field `yaml:"fields"`
}

// Enum is a named set of numeric values (Go type uint32 on the wire).
type Enum struct {
	Pos    `yaml:"-"`
	Name   string      `yaml:"name"` // Go type name, e.g. KeyKind
	Doc    string      `yaml:"doc"`
	Values []EnumValue `yaml:"values"`
}

// EnumValue is one value of an Enum.
type EnumValue struct {
	Pos     `yaml:"-"`
	Value   uint32 `yaml:"value"`
	Name    string `yaml:"name"` // Go name, e.g. EccP256
	Doc     string `yaml:"doc"`
	Feature string `yaml:"feature,omitempty"` // optional feature that enables it
}

// Flags is a named bit set (Go type uint32 on the wire).
type Flags struct {
	Pos  `yaml:"-"`
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
	Bits []Bit  `yaml:"bits"`
}

// Bit is one bit of a Flags set.
type Bit struct {
	Pos  `yaml:"-"`
	Bit  int    `yaml:"bit"`
	Name string `yaml:"name"`
	Doc  string `yaml:"doc"`
}

// Status is one entry of the status-code registry.
type Status struct {
	Pos         `yaml:"-"`
	Code        uint32 `yaml:"code"`
	Name        string `yaml:"name"`     // Go name, e.g. KeyNotFound
	Category    string `yaml:"category"` // success, protocol, session, auth, key, crypto, device, masking, attestation
	Description string `yaml:"description"`
	Withdrawn   bool   `yaml:"withdrawn,omitempty"` // never sent; kept so the code is never reused
}

// Session rules of a command.
const (
	SessionNone   = "none"       // must be sent without a session
	SessionOpens  = "opens"      // opens a session
	SessionCloses = "closes"     // closes the session it is sent in
	SessionIn     = "in-session" // must be sent in an open session
)

// Command is one entry of the command registry.
type Command struct {
	Pos          `yaml:"-"`
	ID           string     `yaml:"id"`     // stable spec id, e.g. CMD-SESSION-OPEN
	Name         string     `yaml:"name"`   // Go name, e.g. OpenSession
	Opcode       uint16     `yaml:"opcode"` // e.g. 0x0104
	Area         string     `yaml:"area"`   // the file it lives in, e.g. session
	Session      string     `yaml:"session"`
	Roles        []string   `yaml:"roles"`
	Feature      string     `yaml:"feature,omitempty"` // optional feature the command belongs to
	Summary      string     `yaml:"summary"`
	Description  string     `yaml:"description"`
	Request      []Field    `yaml:"request"`
	Response     []Field    `yaml:"response"`
	Errors       []ErrorRow `yaml:"errors"`
	Requirements []string   `yaml:"requirements"`
}

// Field types.
const (
	TypeU8    = "u8"
	TypeU16   = "u16"
	TypeU32   = "u32"
	TypeU64   = "u64"
	TypeBool  = "bool"
	TypeBytes = "bytes"
	TypeText  = "text"
	TypeEnum  = "enum"  // Enum names the type
	TypeFlags = "flags" // Flags names the type
	TypeList  = "list"  // Items names the element type; Size bounds the count
	TypeMap   = "map"   // an embedded CBOR map (not a byte string); Map names it
)

// Maps a map field of the envelope may name (spec: wire.yaml, envelope).
const (
	// MapHeader is the header of the message: the request_header map of
	// wire.yaml in a request, the response_header map in a response.
	MapHeader = "header"
	// MapBody is the command's body: its request map in a request, its
	// response map in a response.
	MapBody = "body"
)

// Field is one entry of a CBOR map with a small integer key.
type Field struct {
	Pos   `yaml:"-"`
	Key   int    `yaml:"key"`
	Name  string `yaml:"name"` // snake_case
	Type  string `yaml:"type"`
	Enum  string `yaml:"enum,omitempty"`
	Flags string `yaml:"flags,omitempty"`
	Items string `yaml:"items,omitempty"` // element type of a list: u16, u32, bytes, text or enum
	Map   string `yaml:"map,omitempty"`   // the map a map field embeds: header or body (envelope only)
	// CoseSign1 names the map of types.yaml a bytes field carries as the
	// payload of a tagged COSE_Sign1 (RFC 9052 §4.2).
	CoseSign1 string `yaml:"cose_sign1,omitempty"`
	// Example is the value the vectors use for the field, where the
	// lowest value of its bounds would not be a valid one: hex for bytes,
	// the text for text, the decimal number for an integer, the value
	// name for an enum, bit names joined by | for flags.
	Example  string `yaml:"example,omitempty"`
	Size     *Range `yaml:"size,omitempty"`      // byte length of bytes/text, element count of a list
	ItemSize *Range `yaml:"item_size,omitempty"` // byte length of each bytes element of a list
	Range    *Range `yaml:"range,omitempty"`     // numeric bounds of an integer
	Optional bool   `yaml:"optional,omitempty"`
	Doc      string `yaml:"doc"`
}

// Range is an inclusive bound.
type Range struct {
	Min uint64 `yaml:"min"`
	Max uint64 `yaml:"max"`
}

// ErrorRow is one row of a command's error table: the status it returns and
// the condition under which it returns it.
//
// A common row (wire.yaml common_errors) applies to the commands its filters
// admit: Sessions, Except, Feature and WithFields. A common row whose status
// is the rejection of a state (states.yaml) applies only to the commands one
// of those states refuses.
type ErrorRow struct {
	Pos          `yaml:"-"`
	Status       string   `yaml:"status"`
	When         string   `yaml:"when"`
	Sessions     []string `yaml:"sessions,omitempty"`    // for common rows: the session rules it applies to; empty means all
	Except       []string `yaml:"except,omitempty"`      // for common rows: commands it never applies to
	Feature      bool     `yaml:"feature,omitempty"`     // for common rows: applies only to commands of an optional feature
	WithFields   bool     `yaml:"with_fields,omitempty"` // for common rows: applies only to commands whose request has fields
	Unaddressed  bool     `yaml:"unaddressed,omitempty"` // answered to no particular request: request_id 0 and opcode 0
	Requirements []string `yaml:"requirements,omitempty"`
}

// StateMachine is one of the spec's state machines: device, partition or
// session.
type StateMachine struct {
	Pos         `yaml:"-"`
	ID          string       `yaml:"id"` // e.g. SM-DEVICE
	Name        string       `yaml:"name"`
	Description string       `yaml:"description"`
	Initial     string       `yaml:"initial"`
	States      []State      `yaml:"states"`
	Transitions []Transition `yaml:"transitions"`
}

// State is one state and the commands it accepts; any other command gets
// Reject.
type State struct {
	Pos         `yaml:"-"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Allow       []string `yaml:"allow"` // command names, or "*" for all
	Reject      string   `yaml:"reject,omitempty"`
	Terminal    bool     `yaml:"terminal,omitempty"`
	Ignores     []string `yaml:"ignores,omitempty"` // events that leave the state as it is
}

// Transition moves a machine from one state to another on a command or an
// event (tamper, self-test failure, migration, ...).
type Transition struct {
	Pos          `yaml:"-"`
	From         string   `yaml:"from"`
	To           string   `yaml:"to"`
	Command      string   `yaml:"command,omitempty"`
	Event        string   `yaml:"event,omitempty"`
	Description  string   `yaml:"description"`
	Requirements []string `yaml:"requirements,omitempty"`
}

// Requirement levels (RFC 2119).
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
	LevelMay    = "MAY"
)

// How a requirement is tested.
const (
	TestedByWire    = "wire"    // through the wire protocol
	TestedByControl = "control" // through the control channel (reset, tamper, ...)
	TestedByReview  = "review"  // by review only
)

// Requirement is one normative statement with a stable id that is never
// reused.
type Requirement struct {
	Pos       `yaml:"-"`
	ID        string   `yaml:"id"` // e.g. IHSM-SES-004
	Level     string   `yaml:"level"`
	Text      string   `yaml:"text"`
	Area      string   `yaml:"area"`
	Commands  []string `yaml:"commands,omitempty"`
	Profile   string   `yaml:"profile"`
	Tested    string   `yaml:"tested"`
	Since     string   `yaml:"since"`
	Withdrawn bool     `yaml:"withdrawn,omitempty"` // kept so the id is never reused
}

// Architecture is the security policy, shaped like a FIPS 140-3 security
// policy: architecture/*.yaml.
type Architecture struct {
	Boundary   Boundary        `yaml:"boundary"`
	Roles      []Role          `yaml:"roles"`
	Services   []Service       `yaml:"services"`
	Keys       []SecretEntry   `yaml:"keys"`
	Algorithms []Algorithm     `yaml:"algorithms"`
	SelfTests  []SelfTest      `yaml:"self_tests"`
	Tamper     Tamper          `yaml:"tamper"`
	MaskedKey  MaskedKeyFormat `yaml:"masked_key"`
	Limits     []Limit         `yaml:"limits"`
}

// Boundary is the cryptographic boundary and its ports.
type Boundary struct {
	Description string `yaml:"description"`
	Ports       []Port `yaml:"ports"`
}

// Port is a logical interface of the boundary (FIPS 140-3 §7.3).
type Port struct {
	Name        string `yaml:"name"`
	Kind        string `yaml:"kind"` // data-input, data-output, control-input, status-output, power
	Description string `yaml:"description"`
}

// Role is an operator role.
type Role struct {
	Pos            `yaml:"-"`
	Name           string `yaml:"name"`
	Description    string `yaml:"description"`
	Authentication string `yaml:"authentication"`
}

// Service groups commands into a service of the roles and services table.
type Service struct {
	Pos         `yaml:"-"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Commands    []string `yaml:"commands"`
	Roles       []string `yaml:"roles"`
	Keys        []string `yaml:"keys"`   // entries of the key table it touches
	Access      string   `yaml:"access"` // G(enerate), R(ead), W(rite), E(xecute), Z(eroize) letters
}

// SecretEntry is one row of the key and secret table.
type SecretEntry struct {
	Pos         `yaml:"-"`
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	Strength    string `yaml:"strength"`
	Generation  string `yaml:"generation"`
	Storage     string `yaml:"storage"`
	Use         string `yaml:"use"`
	Zeroization string `yaml:"zeroization"`
}

// Algorithm is an approved (or allowed) algorithm and its standard.
type Algorithm struct {
	Pos      `yaml:"-"`
	Name     string   `yaml:"name"`
	Standard string   `yaml:"standard"`
	Modes    []string `yaml:"modes,omitempty"`
	Sizes    []string `yaml:"sizes,omitempty"`
	Approved bool     `yaml:"approved"`
	SelfTest string   `yaml:"self_test"` // name of the self-test that covers it
}

// SelfTest is one entry of the self-test registry.
type SelfTest struct {
	Pos         `yaml:"-"`
	Name        string `yaml:"name"` // registry name, e.g. KAT-ECDSA-P256
	Kind        string `yaml:"kind"` // kat, pct, integrity
	Algorithm   string `yaml:"algorithm"`
	When        string `yaml:"when"` // power-on, periodic, conditional
	Description string `yaml:"description"`
}

// Tamper is the tamper response.
type Tamper struct {
	Description string   `yaml:"description"`
	Response    []string `yaml:"response"`
}

// MaskedKeyFormat is the versioned byte layout of a masked key.
type MaskedKeyFormat struct {
	Version     int         `yaml:"version"`
	Description string      `yaml:"description"`
	Fields      []ByteField `yaml:"fields"`
}

// ByteField is one field of a byte layout.
type ByteField struct {
	Name   string `yaml:"name"`
	Offset string `yaml:"offset"` // decimal, or an expression for variable offsets
	Size   string `yaml:"size"`   // decimal, or "variable"
	Doc    string `yaml:"doc"`
}

// Limit is a configurable or fixed limit of the device.
type Limit struct {
	Pos         `yaml:"-"`
	Name        string `yaml:"name"` // e.g. max_sessions
	Value       uint64 `yaml:"value"`
	Description string `yaml:"description"`
}
