package wire

// Message is a request or response body of a command: one of the generated
// XxxRequest and XxxResponse types (always used by pointer). The interface
// is closed: only this package's generated types implement it.
type Message interface {
	// Opcode is the command the message belongs to.
	Opcode() uint16
	// MessageName is the Go name of the type, e.g. "SignRequest".
	MessageName() string
	// IsResponse tells a response from a request.
	IsResponse() bool
	// Validate checks the message against the spec: sizes, ranges, enum
	// members and flag bits. Errors wrap rc.InvalidArgument and name the
	// field by its spec name.
	Validate() error

	reset()
	appendCBOR(b []byte) []byte
	decodeCBOR(d *decoder) error
	appendJSON(j *jsonWriter) error
}

// CommandInfo is one row of the command registry (spec: commands/*.yaml).
type CommandInfo struct {
	Opcode uint16
	// Name is the spec name, e.g. "OpenSession".
	Name string
	// ID is the stable spec id, e.g. "CMD-SESSION-OPEN".
	ID string
	// Session is the session rule: SessionNone, SessionOpens,
	// SessionCloses or SessionIn.
	Session string
	// Roles may call the command: "anonymous", "officer", "user".
	Roles []string
	// Feature is the optional feature the command belongs to, or "".
	Feature string
	// Errors lists the statuses of the command's own error table, in spec
	// order; the common errors of wire.yaml come on top.
	Errors []string
	// Requirements are the requirement ids the command implements.
	Requirements []string

	newRequest  func() Message
	newResponse func() Message
}

// Session rules (spec: commands/*.yaml, session).
const (
	SessionNone   = "none"
	SessionOpens  = "opens"
	SessionCloses = "closes"
	SessionIn     = "in-session"
)

// Sealed reports whether the command's bodies travel sealed by the session
// channel: in-session commands and CloseSession (spec: wire.yaml, channel).
func (c CommandInfo) Sealed() bool { return c.Session == SessionIn || c.Session == SessionCloses }

// NewRequest returns a new, zero request of the command.
func (c CommandInfo) NewRequest() Message { return c.newRequest() }

// NewResponse returns a new, zero response of the command.
func (c CommandInfo) NewResponse() Message { return c.newResponse() }

// Commands returns the command registry in opcode order. The slice is a
// copy; the rows share their (read-only) string slices with the registry.
func Commands() []CommandInfo { return append([]CommandInfo(nil), commandTable[:]...) }

// CommandByOpcode returns the registry row of opcode.
func CommandByOpcode(opcode uint16) (CommandInfo, bool) {
	i := commandIndex(opcode)
	if i < 0 {
		return CommandInfo{}, false
	}
	return commandTable[i], true
}

// CommandByName returns the registry row of the command the spec names
// name (e.g. "Sign").
func CommandByName(name string) (CommandInfo, bool) {
	for _, c := range commandTable {
		if c.Name == name {
			return c, true
		}
	}
	return CommandInfo{}, false
}
