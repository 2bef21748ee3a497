package runner

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/steps"
	"github.com/openihsm/openihsm/spec/rc"
)

// Implementation is implementation.yaml: what a vendor declares about the
// device under test. Profiles claims conformance profiles, and with each
// its mandatory features (spec.yaml); Features lists further optional
// features the device implements outside the claimed profiles (listing a
// mandatory feature again is allowed). Every claimed feature is checked
// against GetCapabilities.
type Implementation struct {
	Vendor          string   `yaml:"vendor"`
	Product         string   `yaml:"product"`
	FirmwareVersion string   `yaml:"firmware_version"`
	Profiles        []string `yaml:"profiles"`
	Features        []string `yaml:"features"`
}

// LoadImplementation reads and strictly decodes an implementation.yaml.
func LoadImplementation(path string) (*Implementation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var im Implementation
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&im); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if im.Vendor == "" || im.Product == "" || im.FirmwareVersion == "" || len(im.Profiles) == 0 {
		return nil, fmt.Errorf("%s: vendor, product, firmware_version and profiles are required", path)
	}
	return &im, nil
}

func strField(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}

func strList(m map[string]any, name string) []string {
	var out []string
	l, _ := m[name].([]any)
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// queryTimeout bounds the implementation check's requests.
const queryTimeout = 30 * time.Second

// check is the outcome of the implementation check.
type check struct {
	impl     report.Implementation
	claims   map[string]report.ProfileClaim // every profile of the spec
	problems []string
	// unreachable is set when the device did not answer at all.
	unreachable bool
}

// checkImplementation compares the declaration with GetDeviceInfo and
// GetCapabilities. A claimed profile claims its mandatory features: one
// the device does not report rejects the profile, with a problem naming
// the feature. A feature declared beyond the profiles' must be reported
// too. A device that cannot be reached is one problem saying so.
func checkImplementation(ctx context.Context, env *steps.Env, o Options) check {
	c := check{claims: map[string]report.ProfileClaim{}}
	for _, p := range env.Spec.Meta.Profiles {
		c.claims[p.Name] = report.ProfileClaim{}
	}
	// A device that never answers must not hang the run.
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	info, st, err := env.Query(qctx, "GetDeviceInfo")
	switch {
	case err != nil:
		// Nothing can be tested on an endpoint that does not answer with
		// a response of the protocol.
		c.unreachable = true
		c.problems = append(c.problems, fmt.Sprintf("the device at %s does not answer GetDeviceInfo: %v", o.Target, err))
	case st != rc.Success:
		c.problems = append(c.problems, fmt.Sprintf("GetDeviceInfo: status %s", statusName(st)))
	}
	var caps map[string]any
	if !c.unreachable {
		caps, st, err = env.Query(qctx, "GetCapabilities")
		if err != nil || st != rc.Success {
			c.problems = append(c.problems, fmt.Sprintf("GetCapabilities: status %s, %v", statusName(st), err))
			caps = nil
		}
	}
	devFeatures := strList(caps, "features")
	im := o.Implementation
	if im == nil {
		im = &Implementation{
			Vendor: strField(info, "vendor"), Product: strField(info, "product"),
			FirmwareVersion: strField(info, "firmware_version"), Features: devFeatures,
		}
		for _, p := range env.Spec.Meta.Profiles {
			ok := caps != nil
			for _, f := range p.Mandatory {
				ok = ok && slices.Contains(devFeatures, f)
			}
			if ok {
				im.Profiles = append(im.Profiles, p.Name)
			}
		}
	} else {
		for _, f := range []struct{ name, claim string }{
			{"vendor", im.Vendor}, {"product", im.Product}, {"firmware_version", im.FirmwareVersion},
		} {
			if got := strField(info, f.name); info != nil && got != f.claim {
				c.problems = append(c.problems, fmt.Sprintf("implementation.yaml declares %s %q, the device reports %q", f.name, f.claim, got))
			}
		}
	}
	for _, name := range im.Profiles {
		p := env.Spec.Profile(name)
		if p == nil {
			c.problems = append(c.problems, fmt.Sprintf("implementation.yaml claims profile %q, which the spec does not define", name))
			continue
		}
		// Claiming a profile claims its mandatory features; the device
		// must report each of them.
		cl := report.ProfileClaim{Claimed: true}
		for _, f := range p.Mandatory {
			var why string
			switch {
			case caps == nil:
				why = "the device's capabilities could not be read"
			case !slices.Contains(devFeatures, f):
				why = fmt.Sprintf("mandatory feature %s is not reported by the device's GetCapabilities", f)
			default:
				continue
			}
			c.problems = append(c.problems, fmt.Sprintf("profile %s rejected: %s", name, why))
			if cl.Rejected == "" {
				cl.Rejected = why
			}
		}
		c.claims[name] = cl
	}
	for _, f := range im.Features {
		if env.Spec.Feature(f) == nil {
			c.problems = append(c.problems, fmt.Sprintf("implementation.yaml claims feature %q, which the spec does not define", f))
		} else if caps != nil && !slices.Contains(devFeatures, f) {
			c.problems = append(c.problems, fmt.Sprintf("feature %s is claimed but the device's GetCapabilities does not report it", f))
		}
	}
	c.impl = report.Implementation{
		Vendor: orUnknown(im.Vendor), Product: orUnknown(im.Product), FirmwareVersion: orUnknown(im.FirmwareVersion),
		Profiles: append([]string{}, im.Profiles...), Features: append([]string{}, im.Features...),
	}
	if slices.Contains(devFeatures, "attest.device") {
		if dr, err := env.DeviceAttestation(qctx); err != nil {
			c.problems = append(c.problems, err.Error())
		} else {
			c.impl.FirmwareMeasurement = "sha384:" + hex.EncodeToString(dr.FirmwareMeasurement)
		}
	}
	sort.Strings(c.problems)
	return c
}

// orUnknown fills a field the report requires when the device could not
// say (it was unreachable).
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func statusName(c rc.Code) string {
	if n := c.Name(); n != "" {
		return n
	}
	return fmt.Sprintf("0x%08X", uint32(c))
}
