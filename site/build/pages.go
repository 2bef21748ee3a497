package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/vectors"
)

// siteInfo is shown on every page.
type siteInfo struct {
	Title       string
	Version     string
	APIRevision string
}

// site holds the input and the cross references every page draws on.
type site struct {
	in   Input
	spec *model.Spec
	info *siteInfo

	reqsByCommand map[string][]string // command name -> requirement ids, sorted
	cmdsByStatus  map[string][]string // status name -> command names returning it
	results       map[string]reqResult
	tagged        map[string][]scenarioRef // requirement id -> scenarios of the bundle tagged with it
	runStatus     map[string]string        // scenario id -> its status in the run
}

// reqResult is the latest verdict on one requirement.
type reqResult struct {
	Status    string
	Reason    string
	Scenarios []scenarioRef
}

type scenarioRef struct {
	ID, Name, Status, Anchor string
	Href                     string // relative to the site root; "" when there is nowhere to link
}

func newSite(in Input) *site {
	s := &site{in: in, spec: in.Spec}
	m := in.Spec.Meta
	s.info = &siteInfo{Title: m.Title, Version: m.Version, APIRevision: fmt.Sprintf("%d.%d", m.APIRevision.Major, m.APIRevision.Minor)}
	if s.info.Title == "" {
		s.info.Title = "OpenIHSM"
	}
	s.reqsByCommand = map[string][]string{}
	add := func(cmd, id string) {
		if !slices.Contains(s.reqsByCommand[cmd], id) {
			s.reqsByCommand[cmd] = append(s.reqsByCommand[cmd], id)
		}
	}
	for _, c := range in.Spec.Commands {
		for _, id := range c.Requirements {
			add(c.Name, id)
		}
	}
	for _, r := range in.Spec.Requirements {
		for _, c := range r.Commands {
			add(c, r.ID)
		}
	}
	for _, ids := range s.reqsByCommand {
		sort.Strings(ids)
	}
	s.cmdsByStatus = map[string][]string{}
	for i := range in.Spec.Commands {
		c := &in.Spec.Commands[i]
		for _, e := range in.Spec.EffectiveErrors(c) {
			if !slices.Contains(s.cmdsByStatus[e.Status], c.Name) {
				s.cmdsByStatus[e.Status] = append(s.cmdsByStatus[e.Status], c.Name)
			}
		}
	}
	s.results = map[string]reqResult{}
	s.runStatus = map[string]string{}
	if c := in.Conformance; c != nil {
		byID := map[string]scenarioRef{}
		for _, sc := range c.Report.Scenarios {
			a := "sc-" + anchor(sc.ID)
			byID[sc.ID] = scenarioRef{ID: sc.ID, Name: sc.Name, Status: sc.Status, Anchor: a, Href: "conformance/index.html#" + a}
			s.runStatus[sc.ID] = sc.Status
		}
		for _, q := range c.Report.Requirements {
			r := reqResult{Status: q.Status, Reason: q.Reason}
			for _, id := range q.Scenarios {
				ref, ok := byID[id]
				if !ok {
					ref = scenarioRef{ID: id, Name: id}
				}
				r.Scenarios = append(r.Scenarios, ref)
			}
			s.results[q.ID] = r
		}
	}
	s.tagged = map[string][]scenarioRef{}
	for _, sc := range in.Scenarios {
		a := "sc-" + anchor(sc.ID)
		ref := scenarioRef{ID: sc.ID, Name: sc.Name, Status: s.runStatus[sc.ID], Anchor: a, Href: "conformance/scenarios.html#" + a}
		for _, tag := range sc.Tags {
			if id, ok := strings.CutPrefix(tag, "@"); ok && strings.HasPrefix(id, "IHSM-") {
				s.tagged[id] = append(s.tagged[id], ref)
			}
		}
	}
	return s
}

// pages lists every HTML page of the site.
func (s *site) pages() ([]*page, error) {
	var out []*page
	out = append(out, &page{Path: "index.html", Title: "Home", Section: "home", Template: "home.html", Data: s.home()})
	out = append(out, &page{Path: "protocol/index.html", Title: "Protocol", Section: "protocol", Template: "protocol.html", Data: s.protocolIndex()})
	for i := range s.spec.Commands {
		c := &s.spec.Commands[i]
		v, err := s.command(c)
		if err != nil {
			return nil, err
		}
		out = append(out, &page{Path: "protocol/commands/" + c.Name + ".html", Title: c.Name, Section: "protocol", Template: "command.html", Data: v})
	}
	w, err := s.wire()
	if err != nil {
		return nil, err
	}
	tv, err := s.types()
	if err != nil {
		return nil, err
	}
	out = append(out,
		&page{Path: "protocol/framing.html", Title: "Framing", Section: "protocol", Template: "framing.html", Data: w},
		&page{Path: "protocol/envelope.html", Title: "Envelope and headers", Section: "protocol", Template: "envelope.html", Data: w},
		&page{Path: "protocol/channel.html", Title: "Channel protection", Section: "protocol", Template: "channel.html", Data: w},
		&page{Path: "protocol/status.html", Title: "Status codes", Section: "protocol", Template: "status.html", Data: s.statusView()},
		&page{Path: "protocol/types.html", Title: "Types", Section: "protocol", Template: "types.html", Data: tv},
		&page{Path: "protocol/states.html", Title: "State machines", Section: "protocol", Template: "states.html", Data: s.statesView()},
		&page{Path: "architecture/index.html", Title: "Architecture", Section: "architecture", Template: "architecture.html", Data: s.architecture()},
		&page{Path: "requirements/index.html", Title: "Requirements", Section: "requirements", Template: "requirements.html", Data: s.requirements(), Scripts: []string{"static/filter.js"}},
		&page{Path: "conformance/index.html", Title: "Conformance", Section: "conformance", Template: "conformance.html", Data: s.conformance()},
		&page{Path: "conformance/scenarios.html", Title: "Scenarios", Section: "conformance", Template: "scenarios.html", Data: s.scenarios()},
		&page{Path: "evidence/index.html", Title: "Evidence", Section: "evidence", Template: "evidence.html", Data: s.in.Evidence},
		&page{Path: "changelog.html", Title: "Spec changelog", Section: "changelog", Template: "changelog.html", Data: s.changelog()},
	)
	return out, nil
}

// --- home and protocol index ---

type homeView struct {
	Commands, Statuses, Requirements, States int
	Profiles                                 []model.Profile
	HasConformance, HasEvidence              bool
}

func (s *site) home() homeView {
	return homeView{
		Commands: len(s.spec.Commands), Statuses: len(s.spec.Status), Requirements: len(s.spec.Requirements),
		States: len(s.spec.States), Profiles: s.spec.Meta.Profiles,
		HasConformance: s.in.Conformance != nil, HasEvidence: s.in.Evidence != nil,
	}
}

type commandGroup struct {
	Area     string
	Commands []*model.Command
}

type protocolView struct {
	Groups []commandGroup
	States []model.StateMachine
}

func (s *site) protocolIndex() protocolView {
	var v protocolView
	for i := range s.spec.Commands {
		c := &s.spec.Commands[i]
		area := c.Area
		if area == "" {
			area = "commands"
		}
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Area != area {
			v.Groups = append(v.Groups, commandGroup{Area: area})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Commands = append(g.Commands, c)
	}
	v.States = s.spec.States
	return v
}

// --- fields ---

type fieldView struct {
	Key      int
	Name     string
	Type     string
	TypeHref string // relative to the site root
	Limits   string
	Optional bool
	Doc      string
}

func (s *site) fields(fs []model.Field) []fieldView {
	out := make([]fieldView, 0, len(fs))
	for _, f := range fs {
		v := fieldView{Key: f.Key, Name: f.Name, Type: f.Type, Optional: f.Optional, Doc: f.Doc}
		switch f.Type {
		case model.TypeEnum:
			v.Type, v.TypeHref = f.Enum, "protocol/types.html#"+f.Enum
		case model.TypeFlags:
			v.Type, v.TypeHref = f.Flags+" (flags)", "protocol/types.html#"+f.Flags
		case model.TypeList:
			item := f.Items
			if f.Items == model.TypeEnum && f.Enum != "" {
				item, v.TypeHref = f.Enum, "protocol/types.html#"+f.Enum
			}
			v.Type = "list of " + item
		case model.TypeBytes:
			if f.CoseSign1 != "" {
				v.Type, v.TypeHref = "bytes: a COSE_Sign1 of "+f.CoseSign1, "protocol/types.html#"+f.CoseSign1
			}
		case model.TypeMap:
			switch f.Map {
			case model.MapHeader:
				v.Type, v.TypeHref = "map: the request or response header", "protocol/envelope.html#request-header"
			case model.MapBody:
				v.Type, v.TypeHref = "map: the command's request or response", "protocol/index.html"
			default:
				v.Type = "map " + f.Map
			}
		}
		v.Limits = limits(&f)
		out = append(out, v)
	}
	return out
}

// limits describes a field's bounds in words.
func limits(f *model.Field) string {
	var parts []string
	unit := " bytes"
	if f.Type == model.TypeList {
		unit = " items"
	} else if f.Type == model.TypeText {
		unit = " bytes (UTF-8)"
	}
	if r := f.Size; r != nil {
		parts = append(parts, bound(r)+unit)
	}
	if r := f.ItemSize; r != nil {
		parts = append(parts, "each "+bound(r)+" bytes")
	}
	if r := f.Range; r != nil {
		parts = append(parts, "value "+bound(r))
	}
	return strings.Join(parts, "; ")
}

func bound(r *model.Range) string {
	switch {
	case r.Min == r.Max:
		return fmt.Sprintf("exactly %d", r.Min)
	case r.Min == 0:
		return fmt.Sprintf("at most %d", r.Max)
	}
	return fmt.Sprintf("%d to %d", r.Min, r.Max)
}

// --- command pages ---

type errorView struct {
	Status       string
	Code         string
	Known        bool
	When         string
	Common       bool
	Requirements []string
}

type exampleView struct {
	Name, Direction, Expect, Note string
	Hex                           string // offset-prefixed lines
	JSON                          string
	Sealed                        bool
	KC2D, KD2C                    string
	Payloads                      []payloadView
	COSEKey                       string
}

// payloadView is the decoded payload of a COSE_Sign1 field of an example.
type payloadView struct {
	Field, JSON string
}

type commandView struct {
	C            *model.Command
	Roles        []model.Role
	SessionRule  string
	Request      []fieldView
	Response     []fieldView
	Errors       []errorView
	Requirements []model.Requirement
	Missing      []string // ids named by the command that the spec lacks
	Examples     []exampleView
	ReqSchema    string
	RespSchema   string
	Services     []string
	Prev, Next   *model.Command
}

var sessionRules = map[string]string{
	model.SessionNone:   "Sent without a session (no session_id in the header); the body travels in plaintext.",
	model.SessionOpens:  "Opens a session; sent without one, its response carries the new session_id.",
	model.SessionCloses: "Closes the session it is sent in; sealed like every in-session message.",
	model.SessionIn:     "Sent in an open session: header with session_id and sequence, body sealed by channel protection.",
}

func (s *site) command(c *model.Command) (commandView, error) {
	v := commandView{C: c, SessionRule: sessionRules[c.Session], Request: s.fields(c.Request), Response: s.fields(c.Response)}
	for _, r := range c.Roles {
		if role := s.spec.Role(r); role != nil {
			v.Roles = append(v.Roles, *role)
		} else {
			v.Roles = append(v.Roles, model.Role{Name: r})
		}
	}
	own := len(c.Errors)
	for i, e := range s.spec.EffectiveErrors(c) {
		ev := errorView{Status: e.Status, When: e.When, Common: i >= own, Requirements: e.Requirements}
		if st := s.spec.StatusByName(e.Status); st != nil {
			ev.Code, ev.Known = fmt.Sprintf("0x%08X", st.Code), true
		}
		v.Errors = append(v.Errors, ev)
	}
	for _, id := range s.reqsByCommand[c.Name] {
		if r := s.spec.Requirement(id); r != nil {
			v.Requirements = append(v.Requirements, *r)
		} else {
			v.Missing = append(v.Missing, id)
		}
	}
	for _, sv := range s.spec.Architecture.Services {
		if slices.Contains(sv.Commands, c.Name) {
			v.Services = append(v.Services, sv.Name)
		}
	}
	for _, vec := range s.in.Vectors {
		if vec.Command != c.Name || len(vec.Decoded) == 0 || !strings.HasPrefix(vec.Name, c.Name+"/") {
			continue
		}
		ex, err := example(vec)
		if err != nil {
			return v, fmt.Errorf("site: vector %s: %w", vec.Name, err)
		}
		v.Examples = append(v.Examples, ex)
	}
	var err error
	if v.ReqSchema, err = s.schema(c.Name + "Request"); err != nil {
		return v, err
	}
	if v.RespSchema, err = s.schema(c.Name + "Response"); err != nil {
		return v, err
	}
	for i := range s.spec.Commands {
		if &s.spec.Commands[i] == c {
			if i > 0 {
				v.Prev = &s.spec.Commands[i-1]
			}
			if i+1 < len(s.spec.Commands) {
				v.Next = &s.spec.Commands[i+1]
			}
		}
	}
	return v, nil
}

func example(v vectors.Vector) (exampleView, error) {
	frame, err := v.Frame()
	if err != nil {
		return exampleView{}, err
	}
	var js bytes.Buffer
	if err := json.Indent(&js, v.Decoded, "", "  "); err != nil {
		return exampleView{}, err
	}
	// The template ends the note with its own full stop.
	ex := exampleView{Name: v.Name, Direction: v.Direction, Expect: v.Expect, Note: strings.TrimSuffix(v.Note, "."), Hex: hexDump(frame), JSON: js.String()}
	if v.Channel != nil {
		ex.Sealed, ex.KC2D, ex.KD2C = true, v.Channel.KC2DHex, v.Channel.KD2CHex
	}
	names := make([]string, 0, len(v.Payloads))
	for n := range v.Payloads {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var pj bytes.Buffer
		if err := json.Indent(&pj, v.Payloads[n], "", "  "); err != nil {
			return exampleView{}, err
		}
		ex.Payloads = append(ex.Payloads, payloadView{Field: n, JSON: pj.String()})
	}
	ex.COSEKey = v.COSEKeyHex
	return ex, nil
}

// hexDump formats b as lines of 16 bytes, each led by its offset.
func hexDump(b []byte) string {
	var sb strings.Builder
	for off := 0; off < len(b); off += 16 {
		end := min(off+16, len(b))
		fmt.Fprintf(&sb, "%04x ", off)
		for i := off; i < end; i++ {
			fmt.Fprintf(&sb, " %02x", b[i])
		}
		sb.WriteByte('\n')
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

// schema returns the pretty-printed JSON Schema of the named message, or ""
// when the schema set has none.
func (s *site) schema(name string) (string, error) {
	if s.in.Schemas == nil {
		return "", nil
	}
	b, err := fs.ReadFile(s.in.Schemas, "schema/"+name+".json")
	if err != nil {
		return "", nil
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return "", fmt.Errorf("site: schema %s: %w", name, err)
	}
	return out.String(), nil
}

// --- types ---

type mapView struct {
	model.Map
	Fields []fieldView
	Schema string
	Used   []string // the commands whose fields carry it
}

type typesView struct {
	model.Types
	MapViews []mapView
}

func (s *site) types() (typesView, error) {
	v := typesView{Types: s.spec.Types}
	for _, m := range s.spec.Types.Maps {
		mv := mapView{Map: m, Fields: s.fields(m.Fields)}
		var err error
		if mv.Schema, err = s.schema(m.Name); err != nil {
			return v, err
		}
		for _, c := range s.spec.Commands {
			for _, f := range append(append([]model.Field{}, c.Request...), c.Response...) {
				if f.CoseSign1 == m.Name && !slices.Contains(mv.Used, c.Name) {
					mv.Used = append(mv.Used, c.Name)
				}
			}
		}
		v.MapViews = append(v.MapViews, mv)
	}
	return v, nil
}

// --- wire pages ---

type wireView struct {
	W              model.Wire
	Envelope       []fieldView
	RequestHeader  []fieldView
	ResponseHeader []fieldView
	Common         []errorView
	MaxFrame       string
	ReqSchema      string
	RespSchema     string
	Malformed      []malformedView
	InSession      []*model.Command
}

func (s *site) wire() (wireView, error) {
	w := s.spec.Wire
	v := wireView{W: w, Envelope: s.fields(w.Envelope), RequestHeader: s.fields(w.RequestHeader), ResponseHeader: s.fields(w.ResponseHeader)}
	v.MaxFrame = fmt.Sprintf("%d", w.Framing.MaxFrame)
	for _, e := range w.CommonErrors {
		ev := errorView{Status: e.Status, When: e.When, Requirements: e.Requirements, Common: true}
		if st := s.spec.StatusByName(e.Status); st != nil {
			ev.Code, ev.Known = fmt.Sprintf("0x%08X", st.Code), true
		}
		var scope []string
		if len(e.Sessions) > 0 {
			scope = append(scope, "session rules "+strings.Join(e.Sessions, ", "))
		}
		if len(e.Except) > 0 {
			scope = append(scope, "every command but "+strings.Join(e.Except, ", "))
		}
		if e.Feature {
			scope = append(scope, "commands of an optional feature")
		}
		if e.WithFields {
			scope = append(scope, "commands whose request has fields")
		}
		if len(scope) > 0 {
			ev.When += " (applies to: " + strings.Join(scope, "; ") + ")"
		}
		v.Common = append(v.Common, ev)
	}
	var err error
	if v.ReqSchema, err = s.schema("RequestHeader"); err != nil {
		return v, err
	}
	if v.RespSchema, err = s.schema("ResponseHeader"); err != nil {
		return v, err
	}
	for _, vec := range s.in.Vectors {
		if strings.HasPrefix(vec.Name, "malformed/") {
			v.Malformed = append(v.Malformed, malformedView{Vector: vec, Known: s.spec.StatusByName(vec.Expect) != nil})
		}
	}
	for i := range s.spec.Commands {
		c := &s.spec.Commands[i]
		if c.Session == model.SessionIn || c.Session == model.SessionCloses {
			v.InSession = append(v.InSession, c)
		}
	}
	return v, nil
}

type malformedView struct {
	vectors.Vector
	Known bool // the status is in this spec's registry
}

// --- status registry ---

type statusRow struct {
	model.Status
	Hex      string
	Commands []string
}

type statusGroup struct {
	Category string
	Rows     []statusRow
}

func (s *site) statusView() []statusGroup {
	var out []statusGroup
	for _, st := range s.spec.Status {
		if n := len(out); n == 0 || out[n-1].Category != st.Category {
			out = append(out, statusGroup{Category: st.Category})
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, statusRow{Status: st, Hex: fmt.Sprintf("0x%08X", st.Code), Commands: s.cmdsByStatus[st.Name]})
	}
	return out
}

// --- state machines ---

type stateView struct {
	model.State
	Anchor  string
	Initial bool
	Allow   []string
	All     bool
}

type machineView struct {
	M           model.StateMachine
	SVG         template.HTML
	States      []stateView
	Transitions []model.Transition
}

func (s *site) statesView() []machineView {
	var out []machineView
	for _, m := range s.spec.States {
		v := machineView{M: m, SVG: stateDiagram(m), Transitions: m.Transitions}
		for _, st := range m.States {
			sv := stateView{State: st, Anchor: m.ID + "-" + anchor(st.Name), Initial: st.Name == m.Initial}
			for _, a := range st.Allow {
				if a == "*" {
					sv.All = true
					continue
				}
				sv.Allow = append(sv.Allow, a)
			}
			v.States = append(v.States, sv)
		}
		out = append(out, v)
	}
	return out
}

// --- architecture ---

type matrixRow struct {
	Service  model.Service
	Cells    []bool
	Commands []string
}

type archView struct {
	A          model.Architecture
	RoleNames  []string
	Matrix     []matrixRow
	MaskedSVG  template.HTML
	Algorithms []model.Algorithm
}

func (s *site) architecture() archView {
	a := s.spec.Architecture
	v := archView{A: a, MaskedSVG: byteRuler(a.MaskedKey), Algorithms: a.Algorithms}
	for _, r := range a.Roles {
		v.RoleNames = append(v.RoleNames, r.Name)
	}
	for _, sv := range a.Services {
		row := matrixRow{Service: sv, Commands: sv.Commands}
		for _, r := range v.RoleNames {
			row.Cells = append(row.Cells, slices.Contains(sv.Roles, r))
		}
		v.Matrix = append(v.Matrix, row)
	}
	return v
}

// --- requirements ---

type requirementRow struct {
	model.Requirement
	Result    string // passed, failed, skipped, not-tested, or "" without a run
	Reason    string
	Scenarios []scenarioRef
	Search    string // lower-case text the filter matches against
}

type requirementsView struct {
	Rows           []requirementRow
	Areas          []string
	Levels         []string
	Profiles       []string
	HasConformance bool
	HasScenarios   bool
}

func (s *site) requirements() requirementsView {
	v := requirementsView{HasConformance: s.in.Conformance != nil, HasScenarios: len(s.in.Scenarios) > 0}
	seen := map[string]map[string]bool{"a": {}, "l": {}, "p": {}}
	for _, r := range s.spec.Requirements {
		row := requirementRow{Requirement: r}
		if res, ok := s.results[r.ID]; ok {
			row.Result, row.Reason, row.Scenarios = res.Status, res.Reason, res.Scenarios
		}
		if refs, ok := s.tagged[r.ID]; ok || v.HasScenarios {
			// The bundle says which scenarios check the requirement;
			// the run, if any, says how they went.
			row.Scenarios = refs
		}
		row.Search = strings.ToLower(strings.Join(append([]string{r.ID, r.Text, r.Area, r.Level, r.Profile, r.Tested}, r.Commands...), " "))
		v.Rows = append(v.Rows, row)
		for k, val := range map[string]string{"a": r.Area, "l": r.Level, "p": r.Profile} {
			seen[k][val] = true
		}
	}
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	v.Areas, v.Levels, v.Profiles = keys(seen["a"]), keys(seen["l"]), keys(seen["p"])
	return v
}

// --- scenarios ---

type scenarioView struct {
	Scenario
	Anchor       string
	Requirements []string
	Other        []string // tags that are not requirement ids
	Result       string   // in the run, or ""
}

type featureGroup struct {
	Feature   string
	Scenarios []scenarioView
}

type scenariosView struct {
	Groups         []featureGroup
	Total          int
	HasConformance bool
}

// scenarios lists the feature bundle by feature file.
func (s *site) scenarios() scenariosView {
	v := scenariosView{Total: len(s.in.Scenarios), HasConformance: s.in.Conformance != nil}
	for _, sc := range s.in.Scenarios {
		sv := scenarioView{Scenario: sc, Anchor: "sc-" + anchor(sc.ID), Result: s.runStatus[sc.ID]}
		for _, tag := range sc.Tags {
			if id, ok := strings.CutPrefix(tag, "@"); ok && strings.HasPrefix(id, "IHSM-") {
				sv.Requirements = append(sv.Requirements, id)
			} else {
				sv.Other = append(sv.Other, tag)
			}
		}
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Feature != sc.Feature {
			v.Groups = append(v.Groups, featureGroup{Feature: sc.Feature})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Scenarios = append(g.Scenarios, sv)
	}
	return v
}
