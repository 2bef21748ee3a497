package specgen

import (
	"strconv"

	"github.com/openihsm/openihsm/spec/model"
)

// genRC writes spec/rc/codes.go: one constant per entry of status.yaml and
// the lookup functions the hand-written Code methods use.
//
// A withdrawn status gets no constant: a device never sends it, and the
// codec refuses it in a response header like any code the spec does not
// define.
func genRC(s *model.Spec) ([]File, error) {
	s = withoutWithdrawn(s)
	var p printer
	p.f("%spackage rc\n\n", header)
	p.f("// The status codes of the spec, in registry order (spec: status.yaml).\nconst (\n")
	for i, st := range s.Status {
		if i > 0 {
			p.f("\n")
		}
		p.f("\t// %s is status 0x%08X (spec: status.yaml), category %s.\n\t//\n", st.Name, st.Code, st.Category)
		p.comment("\t", st.Description)
		p.f("\t%s Code = 0x%08X\n", st.Name, st.Code)
	}
	p.f(")\n\n")
	p.f("// lookup returns the registry entry of c.\nfunc lookup(c Code) (name, category, description string, ok bool) {\n\tswitch c {\n")
	for _, st := range s.Status {
		p.f("\tcase %s:\n\t\treturn %q, %q, %s, true\n", st.Name, st.Name, st.Category, strconv.Quote(st.Description))
	}
	p.f("\t}\n\treturn \"\", \"\", \"\", false\n}\n\n")
	p.f("// ByName returns the code the spec names name (e.g. \"KeyNotFound\").\nfunc ByName(name string) (Code, bool) {\n\tswitch name {\n")
	for _, st := range s.Status {
		p.f("\tcase %q:\n\t\treturn %s, true\n", st.Name, st.Name)
	}
	p.f("\t}\n\treturn 0, false\n}\n\n")
	p.f("// All returns every code of the spec in registry order.\nfunc All() []Code {\n\treturn []Code{\n")
	for _, st := range s.Status {
		p.f("\t\t%s,\n", st.Name)
	}
	p.f("\t}\n}\n")
	f, err := goFile("rc/codes.go", p.Bytes())
	if err != nil {
		return nil, err
	}
	return []File{f}, nil
}

// withoutWithdrawn returns a shallow copy of s whose registry leaves out the
// withdrawn statuses.
func withoutWithdrawn(s *model.Spec) *model.Spec {
	c := *s
	c.Status = nil
	for _, st := range s.Status {
		if !st.Withdrawn {
			c.Status = append(c.Status, st)
		}
	}
	return &c
}
