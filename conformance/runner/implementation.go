package runner

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/steps"
	"github.com/openihsm/openihsm/spec/rc"
)

// Implementation is implementation.yaml: what a vendor declares about the
// device under test.
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

// checkImplementation compares the declaration with GetDeviceInfo and
// GetCapabilities. A claimed profile that lacks a mandatory feature, on
// paper or on the device, is rejected with a problem naming the feature;
// the returned map says which profiles are claimed.
func checkImplementation(ctx context.Context, env *steps.Env, o Options) (report.Implementation, map[string]bool, []string) {
	var problems []string
	info, st, err := env.Query(ctx, "GetDeviceInfo")
	if err != nil || st != rc.Success {
		problems = append(problems, fmt.Sprintf("GetDeviceInfo: status %v, %v", st, err))
	}
	caps, st, err := env.Query(ctx, "GetCapabilities")
	if err != nil || st != rc.Success {
		problems = append(problems, fmt.Sprintf("GetCapabilities: status %v, %v", st, err))
	}
	devFeatures := strList(caps, "features")
	im := o.Implementation
	if im == nil {
		im = &Implementation{
			Vendor: strField(info, "vendor"), Product: strField(info, "product"),
			FirmwareVersion: strField(info, "firmware_version"), Features: devFeatures,
		}
		for _, p := range env.Spec.Meta.Profiles {
			ok := true
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
				problems = append(problems, fmt.Sprintf("implementation.yaml declares %s %q, the device reports %q", f.name, f.claim, got))
			}
		}
	}
	claimed := map[string]bool{}
	for _, p := range env.Spec.Meta.Profiles {
		claimed[p.Name] = false
	}
	for _, name := range im.Profiles {
		p := env.Spec.Profile(name)
		if p == nil {
			problems = append(problems, fmt.Sprintf("implementation.yaml claims profile %q, which the spec does not define", name))
			continue
		}
		rejected := false
		for _, f := range p.Mandatory {
			if !slices.Contains(im.Features, f) {
				problems = append(problems, fmt.Sprintf("profile %s rejected: mandatory feature %s is not declared in implementation.yaml", name, f))
				rejected = true
			} else if !slices.Contains(devFeatures, f) {
				problems = append(problems, fmt.Sprintf("profile %s rejected: mandatory feature %s is claimed but the device's GetCapabilities does not report it", name, f))
				rejected = true
			}
		}
		claimed[name] = !rejected
	}
	for _, f := range im.Features {
		if env.Spec.Feature(f) == nil {
			problems = append(problems, fmt.Sprintf("implementation.yaml claims feature %q, which the spec does not define", f))
		} else if caps != nil && !slices.Contains(devFeatures, f) {
			problems = append(problems, fmt.Sprintf("feature %s is claimed but the device's GetCapabilities does not report it", f))
		}
	}
	out := report.Implementation{
		Vendor: im.Vendor, Product: im.Product, FirmwareVersion: im.FirmwareVersion,
		Profiles: append([]string{}, im.Profiles...), Features: append([]string{}, im.Features...),
	}
	if slices.Contains(devFeatures, "attest.device") {
		if dr, err := env.DeviceAttestation(ctx); err != nil {
			problems = append(problems, err.Error())
		} else {
			out.FirmwareMeasurement = "sha384:" + hex.EncodeToString(dr.FirmwareMeasurement)
		}
	}
	sort.Strings(problems)
	return out, claimed, problems
}
