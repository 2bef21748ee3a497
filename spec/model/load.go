package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

// schemaBase is the URL the schemas are registered under. They are read from
// the spec directory and never fetched: the compiler refuses every other URL.
const schemaBase = "https://openihsm.org/spec/schema/"

// rootFiles are the files at the top of the spec directory and the schema
// each is checked against.
var rootFiles = []struct{ name, schema string }{
	{"spec.yaml", "spec.schema.json"},
	{"wire.yaml", "wire.schema.json"},
	{"types.yaml", "types.schema.json"},
	{"status.yaml", "status.schema.json"},
	{"states.yaml", "states.schema.json"},
}

// areaDirs are the directories of the spec whose every *.yaml file holds one
// area's part of a list, and the schema each file is checked against.
var areaDirs = []struct{ dir, schema string }{
	{"commands", "commands.schema.json"},
	{"requirements", "requirements.schema.json"},
	{"architecture", "architecture.schema.json"},
}

// Load reads the spec rooted at fsys (the directory holding spec.yaml),
// checks every file against the JSON Schemas in its schema/ directory, and
// lints the result. On any problem it returns a nil Spec and a Problems
// error that names each problem's file, line and rule.
//
// The returned Spec lists Commands in opcode order and Requirements in id
// order. To check a spec that has no schema/ of its own (an older copy, a
// vendor's fork), compile the schemas elsewhere with CompileSchemas and call
// Schemas.Load; `ihsm spec` does so with the schemas embedded in package spec.
func Load(fsys fs.FS) (*Spec, error) {
	schemas, err := fs.Sub(fsys, "schema")
	if err != nil {
		return nil, Problems{{File: "schema", Rule: "schema-file", Message: err.Error()}}
	}
	sc, err := CompileSchemas(schemas)
	if err != nil {
		return nil, err
	}
	return sc.Load(fsys)
}

// LoadDir is Load of the spec directory dir.
func LoadDir(dir string) (*Spec, error) {
	return Load(os.DirFS(dir))
}

// Schemas is a compiled set of the spec's JSON Schemas. Compiling takes
// longer than loading a spec, so a tool that loads many specs (the diff, the
// fuzz target) compiles once.
type Schemas struct {
	m map[string]*jsonschema.Schema
}

// CompileSchemas compiles the *.schema.json files of the directory fsys.
// Every schema a spec file needs must be there; references between them
// resolve within the directory and nothing is fetched.
func CompileSchemas(fsys fs.FS) (*Schemas, error) {
	l := &loader{}
	l.compileSchemas(fsys)
	if len(l.ps.list) > 0 {
		l.ps.list.sort()
		return nil, l.ps.list
	}
	return &Schemas{m: l.schemas}, nil
}

// Load is Load with these schemas instead of those of fsys.
func (sc *Schemas) Load(fsys fs.FS) (*Spec, error) {
	return sc.load(fsys, nil)
}

// parsed is one spec file as the loader made it: its bytes, its root node,
// the value decoded from it and the problems it had. A loader given parsed
// files reuses those whose bytes have not changed, so a fuzz target that
// changes one file pays for that file only.
type parsed struct {
	data []byte
	root *yaml.Node
	val  reflect.Value // the decoded value, as *out held it
	ps   Problems
}

// withParsed returns a load function that reuses the files of base,
// parsed once; only files whose bytes differ from base's are read again.
// The specs it returns share the unchanged files' decoded values and must
// not be modified.
func (sc *Schemas) withParsed(base fs.FS) (func(fs.FS) (*Spec, error), error) {
	cache := map[string]*parsed{}
	if _, err := sc.load(base, cache); err != nil {
		return nil, err
	}
	frozen := maps.Clone(cache)
	return func(fsys fs.FS) (*Spec, error) { return sc.load(fsys, frozen) }, nil
}

func (sc *Schemas) load(fsys fs.FS, cache map[string]*parsed) (*Spec, error) {
	l := &loader{fsys: fsys, schemas: sc.m, cache: cache}
	s := &Spec{}
	for _, rf := range rootFiles {
		switch rf.name {
		case "spec.yaml":
			l.file(rf.name, rf.schema, &s.Meta)
		case "wire.yaml":
			l.file(rf.name, rf.schema, &s.Wire)
		case "types.yaml":
			l.file(rf.name, rf.schema, &s.Types)
		case "status.yaml":
			var f struct {
				Status []Status `yaml:"status"`
			}
			l.file(rf.name, rf.schema, &f)
			s.Status = f.Status
		case "states.yaml":
			var f struct {
				StateMachines []StateMachine `yaml:"state_machines"`
			}
			l.file(rf.name, rf.schema, &f)
			s.States = f.StateMachines
		}
	}
	l.unknownRootFiles()
	archFrom := map[string]Pos{} // architecture key → where it was defined
	for _, ad := range areaDirs {
		for _, name := range l.dirFiles(ad.dir) {
			area := strings.TrimSuffix(path.Base(name), ".yaml")
			switch ad.dir {
			case "commands":
				var f struct {
					Commands []Command `yaml:"commands"`
				}
				l.file(name, ad.schema, &f)
				for i := range f.Commands {
					if f.Commands[i].Area == "" {
						f.Commands[i].Area = area
					}
				}
				s.Commands = append(s.Commands, f.Commands...)
			case "requirements":
				var f struct {
					Requirements []Requirement `yaml:"requirements"`
				}
				l.file(name, ad.schema, &f)
				s.Requirements = append(s.Requirements, f.Requirements...)
			case "architecture":
				var a Architecture
				if root := l.file(name, ad.schema, &a); root != nil {
					l.mergeArchitecture(&s.Architecture, &a, root, name, archFrom)
				}
			}
		}
	}
	if len(l.ps.list) > 0 {
		l.ps.list.sort()
		return nil, l.ps.list
	}
	s.sort()
	if ps := Lint(s); len(ps) > 0 {
		return nil, ps
	}
	return s, nil
}

// sort puts Commands in opcode order and Requirements in id order, the order
// every consumer lists them in.
func (s *Spec) sort() {
	slices.SortStableFunc(s.Commands, func(a, b Command) int { return int(a.Opcode) - int(b.Opcode) })
	slices.SortStableFunc(s.Requirements, func(a, b Requirement) int { return strings.Compare(a.ID, b.ID) })
}

type loader struct {
	fsys    fs.FS
	schemas map[string]*jsonschema.Schema
	ps      problems
	// cache, when set, holds parsed files by name (see withParsed); a
	// loader fills the entries it lacks.
	cache map[string]*parsed
}

func (l *loader) compileSchemas(schemas fs.FS) {
	entries, err := fs.ReadDir(schemas, ".")
	if err != nil {
		l.ps.at(Pos{File: "schema"}, "schema-file", "cannot read the JSON Schemas: %v", err)
		return
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schema %s is not in the spec's schema directory", u)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".schema.json") {
			continue
		}
		data, err := fs.ReadFile(schemas, e.Name())
		if err != nil {
			l.ps.at(Pos{File: "schema/" + e.Name()}, "schema-file", "%v", err)
			continue
		}
		if err := c.AddResource(schemaBase+e.Name(), bytes.NewReader(data)); err != nil {
			l.ps.at(Pos{File: "schema/" + e.Name()}, "schema-file", "%v", err)
			continue
		}
		names = append(names, e.Name())
	}
	l.schemas = map[string]*jsonschema.Schema{}
	for _, n := range names {
		sch, err := c.Compile(schemaBase + n)
		if err != nil {
			l.ps.at(Pos{File: "schema/" + n}, "schema-file", "%v", err)
			continue
		}
		l.schemas[n] = sch
	}
	for _, rf := range rootFiles {
		l.needSchema(rf.schema)
	}
	for _, ad := range areaDirs {
		l.needSchema(ad.schema)
	}
}

func (l *loader) needSchema(name string) {
	if _, ok := l.schemas[name]; !ok && !slices.ContainsFunc(l.ps.list, func(e *LintError) bool { return e.File == "schema/"+name }) {
		l.ps.at(Pos{File: "schema/" + name}, "schema-file", "missing JSON Schema")
	}
}

// unknownRootFiles reports YAML files at the root that feed no part of the
// spec: a misnamed file would otherwise be silently ignored.
func (l *loader) unknownRootFiles() {
	entries, err := fs.ReadDir(l.fsys, ".")
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		if !slices.ContainsFunc(rootFiles, func(rf struct{ name, schema string }) bool { return rf.name == n }) {
			l.ps.at(Pos{File: n}, "unknown-file", "not a spec file (expected one of spec.yaml, wire.yaml, types.yaml, status.yaml, states.yaml)")
		}
	}
}

// dirFiles lists the *.yaml files of dir in name order; a missing or empty
// directory is a problem, since every area of the spec must be present.
func (l *loader) dirFiles(dir string) []string {
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		l.ps.at(Pos{File: dir}, "missing-file", "cannot read directory: %v", unwrapPathError(err))
		return nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			continue
		}
		switch {
		case strings.HasSuffix(n, ".yaml"):
			names = append(names, dir+"/"+n)
		case strings.HasSuffix(n, ".yml"):
			l.ps.at(Pos{File: dir + "/" + n}, "unknown-file", "spec files end in .yaml")
		}
	}
	if len(names) == 0 {
		l.ps.at(Pos{File: dir}, "missing-file", "no *.yaml files")
	}
	return names
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// file reads one spec file, checks it against its JSON Schema, decodes it
// strictly into out and records the position of every element. It returns
// the file's root mapping node, or nil when the file has problems (which are
// recorded).
func (l *loader) file(name, schema string, out any) *yaml.Node {
	data, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		l.ps.at(Pos{File: name}, "missing-file", "%v", unwrapPathError(err))
		return nil
	}
	if c, ok := l.cache[name]; ok && bytes.Equal(c.data, data) {
		l.ps.list = append(l.ps.list, c.ps...)
		if c.root != nil {
			reflect.ValueOf(out).Elem().Set(c.val)
		}
		return c.root
	}
	before := len(l.ps.list)
	root := l.parseFile(name, schema, data, out)
	if l.cache != nil {
		if _, ok := l.cache[name]; !ok {
			c := &parsed{data: data, root: root, ps: slices.Clone(l.ps.list[before:])}
			if root != nil {
				v := reflect.ValueOf(out).Elem()
				c.val = reflect.New(v.Type()).Elem()
				c.val.Set(v)
			}
			l.cache[name] = c
		}
	}
	return root
}

// parseFile is file of data read from the file.
func (l *loader) parseFile(name, schema string, data []byte, out any) *yaml.Node {
	before := len(l.ps.list)
	root := l.parse(name, data)
	if root == nil {
		return nil
	}
	val := l.toJSON(name, root)
	if len(l.ps.list) > before {
		return nil
	}
	l.validate(name, schema, root, val)
	if len(l.ps.list) > before {
		return nil
	}
	if !l.decode(name, data, out) {
		return nil
	}
	setPos(reflect.ValueOf(out), root, name)
	return root
}

// parse returns the root node of the single YAML document in data.
func (l *loader) parse(name string, data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			l.ps.at(Pos{File: name}, "yaml", "YAML parser failure: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			l.ps.at(Pos{File: name}, "yaml", "empty file")
		} else {
			l.yamlError(name, err)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		line := next.Line
		if err != nil {
			line = 0
		}
		l.ps.at(Pos{File: name, Line: line}, "yaml", "a spec file holds exactly one YAML document")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		l.ps.at(Pos{File: name}, "yaml", "empty file")
		return nil
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		l.ps.at(Pos{File: name, Line: root.Line}, "schema", "the file must hold a mapping")
		return nil
	}
	return root
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// yamlError turns a yaml.v3 error into problems, one per line it names.
func (l *loader) yamlError(name string, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	for _, part := range strings.Split(msg, "\n") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		rule := "yaml"
		if strings.Contains(part, " not found in type ") {
			rule = "unknown-field"
		}
		if m := lineRE.FindStringSubmatch(part); m != nil {
			n, _ := strconv.Atoi(m[1])
			l.ps.at(Pos{File: name, Line: n}, rule, "%s", m[2])
			continue
		}
		l.ps.at(Pos{File: name}, rule, "%s", part)
	}
}

// toJSON converts a YAML node to the values JSON Schema validation expects:
// map[string]any, []any, string, bool, nil and json.Number for every number,
// so integers stay integers. Aliases, non-scalar keys and duplicate keys are
// problems: a spec file is plain data that reads the same in every parser.
func (l *loader) toJSON(name string, n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				l.ps.at(Pos{File: name, Line: k.Line}, "yaml", "mapping keys must be plain scalars")
				continue
			}
			if k.Tag == "!!merge" {
				l.ps.at(Pos{File: name, Line: k.Line}, "yaml", "merge keys (<<) are not allowed in spec files")
				continue
			}
			if first, dup := seen[k.Value]; dup {
				l.ps.at(Pos{File: name, Line: k.Line}, "dup-key", "key %q already defined at line %d", k.Value, first)
				continue
			}
			seen[k.Value] = k.Line
			m[k.Value] = l.toJSON(name, v)
		}
		return m
	case yaml.SequenceNode:
		a := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			a = append(a, l.toJSON(name, c))
		}
		return a
	case yaml.ScalarNode:
		return scalarJSON(n)
	case yaml.AliasNode:
		l.ps.at(Pos{File: name, Line: n.Line}, "yaml", "aliases are not allowed in spec files")
		return nil
	default:
		l.ps.at(Pos{File: name, Line: n.Line}, "yaml", "unexpected YAML node")
		return nil
	}
}

func scalarJSON(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		var u uint64
		if n.Decode(&u) == nil {
			return json.Number(strconv.FormatUint(u, 10))
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return n.Value
}

// validate checks val (the JSON form of root) against the named schema and
// records one problem per failing leaf, at the line of the offending value.
func (l *loader) validate(name, schema string, root *yaml.Node, val any) {
	sch := l.schemas[schema]
	if sch == nil {
		return
	}
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("validator failure: %v", r)
			}
		}()
		return sch.Validate(val)
	}()
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		l.ps.at(Pos{File: name}, "schema", "%v", err)
		return
	}
	seen := map[string]bool{}
	for _, leaf := range leaves(ve) {
		node := pointerNode(root, leaf.InstanceLocation)
		line := root.Line
		if node != nil {
			line = node.Line
		}
		rule := "schema"
		msg := leaf.Message
		if strings.HasSuffix(leaf.KeywordLocation, "/additionalProperties") {
			rule = "unknown-field"
			for _, key := range quoted(msg) {
				p := Pos{File: name, Line: line}
				if node != nil {
					if k := keyNode(node, key); k != nil {
						p.Line = k.Line
					}
				}
				if at := fmt.Sprintf("%d %s", p.Line, key); !seen[at] {
					seen[at] = true
					l.ps.at(p, rule, "unknown field %q at %s", key, where(leaf.InstanceLocation))
				}
			}
			continue
		}
		if at := fmt.Sprintf("%d %s", line, msg); !seen[at] {
			seen[at] = true
			l.ps.at(Pos{File: name, Line: line}, rule, "%s: %s", where(leaf.InstanceLocation), msg)
		}
	}
}

func where(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

// leaves returns the innermost validation errors: the ones that say what is
// wrong rather than which subschema failed.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

var quotedRE = regexp.MustCompile(`'([^']*)'`)

func quoted(msg string) []string {
	var out []string
	for _, m := range quotedRE.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	return out
}

// pointerNode follows a JSON Pointer (RFC 6901) through a YAML node tree.
func pointerNode(n *yaml.Node, ptr string) *yaml.Node {
	if ptr == "" {
		return n
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			k := keyNode(n, tok)
			if k == nil {
				return n
			}
			n = valueOf(n, k)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n
			}
			n = n.Content[i]
		default:
			return n
		}
	}
	return n
}

func keyNode(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

func valueOf(m, key *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i] == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// decode decodes data strictly: a key the model does not know is an error,
// never silently dropped.
func (l *loader) decode(name string, data []byte, out any) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			l.ps.at(Pos{File: name}, "yaml", "YAML decoder failure: %v", r)
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		l.yamlError(name, err)
		return false
	}
	return true
}

var posType = reflect.TypeOf(Pos{})

// setPos walks the decoded value alongside its YAML node and fills in the
// Pos of every element that embeds one.
func setPos(v reflect.Value, n *yaml.Node, file string) {
	if n == nil {
		return
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type == posType {
				v.Field(i).Set(reflect.ValueOf(Pos{File: file, Line: n.Line, node: n}))
			}
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			if k := keyNode(n, tag); k != nil {
				setPos(v.Field(i), valueOf(n, k), file)
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i := 0; i < v.Len() && i < len(n.Content); i++ {
			setPos(v.Index(i), n.Content[i], file)
		}
	}
}

// mergeArchitecture copies the keys defined in one architecture file into
// the merged Architecture. A key defined in two files is a problem: each part
// of the security policy has one home.
func (l *loader) mergeArchitecture(dst, src *Architecture, root *yaml.Node, name string, from map[string]Pos) {
	dv, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	t := dv.Type()
	for i := 0; i+1 < len(root.Content); i += 2 {
		key := root.Content[i]
		for j := 0; j < t.NumField(); j++ {
			tag, _, _ := strings.Cut(t.Field(j).Tag.Get("yaml"), ",")
			if tag != key.Value {
				continue
			}
			if prev, dup := from[tag]; dup {
				l.ps.at(Pos{File: name, Line: key.Line}, "dup-key", "architecture key %q is already defined in %s:%d", tag, prev.File, prev.Line)
				break
			}
			from[tag] = Pos{File: name, Line: key.Line}
			dv.Field(j).Set(sv.Field(j))
		}
	}
}
