package spectest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Copy is a temporary copy of a spec directory that a test edits through
// the YAML node tree, so an edit does not depend on how a file is laid out
// and the line of the edited element can be found again after re-encoding.
type Copy struct {
	T     testing.TB
	Dir   string
	nodes map[string]*yaml.Node // edited files, by slash path
}

// specDirs are the directories of a spec tree.
var specDirs = []string{"commands", "requirements", "architecture", "schema"}

// copySpec copies the spec files (and schema/, if present) under src into a
// new temporary directory.
func New(t testing.TB, src fs.FS) *Copy {
	t.Helper()
	dir := t.TempDir()
	if err := copyTree(dir, src, specDirs); err != nil {
		t.Fatal(err)
	}
	return &Copy{T: t, Dir: dir, nodes: map[string]*yaml.Node{}}
}

func (c *Copy) Path(file string) string { return filepath.Join(c.Dir, filepath.FromSlash(file)) }

// files lists the *.yaml files of a directory of the copy, in name order.
func (c *Copy) Files(dir string) []string {
	c.T.Helper()
	entries, err := os.ReadDir(c.Path(dir))
	if err != nil {
		c.T.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out
}

// root returns the parsed root mapping of file, parsing it on first use.
func (c *Copy) Root(file string) *yaml.Node {
	c.T.Helper()
	if n, ok := c.nodes[file]; ok {
		return n
	}
	data, err := os.ReadFile(c.Path(file))
	if err != nil {
		c.T.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		c.T.Fatal(err)
	}
	c.nodes[file] = doc.Content[0]
	return doc.Content[0]
}

// lookup returns the node at a JSON Pointer in file, or nil.
func (c *Copy) Lookup(file, ptr string) *yaml.Node {
	n := c.Root(file)
	if ptr == "" {
		return n
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			if k := keyNode(n, tok); k != nil {
				next = valueOf(n, k)
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// node is lookup that fails the test when there is no such node.
func (c *Copy) Node(file, ptr string) *yaml.Node {
	c.T.Helper()
	n := c.Lookup(file, ptr)
	if n == nil {
		c.T.Fatalf("%s has no %s", file, ptr)
	}
	return n
}

// set replaces the scalar at ptr with value, written as tag (!!int, !!str).
func (c *Copy) Set(file, ptr, value, tag string) {
	c.T.Helper()
	n := c.Node(file, ptr)
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	if tag == "!!str" {
		n.Style = yaml.DoubleQuotedStyle
	}
}

// setNode replaces the node at ptr.
func (c *Copy) SetNode(file, ptr string, v *yaml.Node) {
	c.T.Helper()
	*c.Node(file, ptr) = *v
}

// addKey adds key: value (a scalar) to the mapping at ptr.
func (c *Copy) AddKey(file, ptr, key, value string) {
	c.T.Helper()
	m := c.Node(file, ptr)
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

// write encodes the edited files back into the copy.
func (c *Copy) Write() {
	c.T.Helper()
	for file, n := range c.nodes {
		out, err := yaml.Marshal(n)
		if err != nil {
			c.T.Fatal(err)
		}
		if err := os.WriteFile(c.Path(file), out, 0o644); err != nil {
			c.T.Fatal(err)
		}
	}
	c.nodes = map[string]*yaml.Node{}
}

// line returns the line of the node at ptr in file as written.
func (c *Copy) Line(file, ptr string) int {
	c.T.Helper()
	if ptr == "" {
		return 0
	}
	return c.Node(file, ptr).Line
}

// firstWhere returns the first file of dir (and index of the list entry
// under key) for which ok holds.
func (c *Copy) FirstWhere(dir, key string, ok func(file, ptr string) bool) (string, string) {
	c.T.Helper()
	for _, f := range c.Files(dir) {
		for i := range c.Node(f, "/"+key).Content {
			p := "/" + key + "/" + strconv.Itoa(i)
			if ok(f, p) {
				return f, p
			}
		}
	}
	c.T.Fatalf("no entry of %s/*.yaml %s matches", dir, key)
	return "", ""
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

// RemoveKey deletes key from the mapping at ptr.
func (c *Copy) RemoveKey(file, ptr, key string) {
	c.T.Helper()
	m := c.Node(file, ptr)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
	c.T.Fatalf("%s %s has no key %s", file, ptr, key)
}

// Append adds a copy of the node at from to the end of the sequence at ptr
// and returns the new element's pointer.
func (c *Copy) Append(file, ptr, fromFile, from string) string {
	c.T.Helper()
	seq := c.Node(file, ptr)
	dup := deepCopy(c.Node(fromFile, from))
	seq.Content = append(seq.Content, dup)
	return ptr + "/" + strconv.Itoa(len(seq.Content)-1)
}

// Delete removes element i of the sequence at ptr.
func (c *Copy) Delete(file, ptr string, i int) {
	c.T.Helper()
	seq := c.Node(file, ptr)
	if i < 0 || i >= len(seq.Content) {
		c.T.Fatalf("%s %s has no element %d", file, ptr, i)
	}
	seq.Content = append(seq.Content[:i], seq.Content[i+1:]...)
}

// WriteFile replaces a whole file of the copy with data.
func (c *Copy) WriteFile(file string, data []byte) {
	c.T.Helper()
	delete(c.nodes, file)
	if err := os.WriteFile(c.Path(file), data, 0o644); err != nil {
		c.T.Fatal(err)
	}
}

// Remove deletes a file of the copy.
func (c *Copy) Remove(file string) {
	c.T.Helper()
	delete(c.nodes, file)
	if err := os.Remove(c.Path(file)); err != nil {
		c.T.Fatal(err)
	}
}

func deepCopy(n *yaml.Node) *yaml.Node {
	dup := *n
	dup.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		dup.Content[i] = deepCopy(ch)
	}
	return &dup
}

// CopyFrom copies the *.yaml and *.json files of src into the directory dir
// of the copy ("." for its root).
func (c *Copy) CopyFrom(dir string, src fs.FS) {
	c.T.Helper()
	if err := copyTree(filepath.Join(c.Dir, filepath.FromSlash(dir)), src, nil); err != nil {
		c.T.Fatal(err)
	}
}

// copyTree copies the *.yaml and *.json files of src into dir; when dirs is
// not nil only those top-level directories are copied.
func copyTree(dir string, src fs.FS, dirs []string) error {
	return fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && dirs != nil && !slices.Contains(dirs, p) {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, filepath.FromSlash(p)), 0o755)
		}
		if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".json") {
			return nil
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), data, 0o644)
	})
}
