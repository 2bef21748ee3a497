package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// stateRecipe says how a scenario puts the device, a partition or a
// session into a state of spec/states.yaml that refuses commands, how a
// refused command is sent there, and how the scenario leaves the state.
type stateRecipe struct {
	tags  []string
	reqs  []string
	enter []string
	leave []string
	// opcode sends the refused command as a bare opcode with an empty
	// body and no session: the state is checked before the session rule
	// and the body (spec: IHSM-WIRE-013), so nothing else can answer
	// first. Otherwise the command is sent sealed in the scenario's
	// session.
	opcode bool
	// profile, when set, is the profile every scenario of the state
	// belongs to (the state exists only with that profile's feature);
	// otherwise each command's own profile.
	profile string
	reason  string
}

func (g *gen) stateRecipe(m *model.StateMachine, st *model.State) (stateRecipe, error) {
	switch m.ID + "/" + st.Name {
	case "SM-DEVICE/SelfTest":
		return stateRecipe{reqs: []string{"IHSM-SLF-008"}, reason: "A device is in the SelfTest state only while its power-on self-tests run; " +
			"power-cycle and reset return once they are done, and the control protocol has no operation that holds a device in SelfTest, " +
			"so no request can be timed to arrive there."}, nil
	case "SM-DEVICE/Error":
		kat := ""
		for _, t := range g.s.Architecture.SelfTests {
			if t.Kind == "kat" && t.When == "power-on" {
				kat = t.Name
				break
			}
		}
		if kat == "" {
			return stateRecipe{}, fmt.Errorf("the spec has no power-on known-answer test")
		}
		return stateRecipe{
			tags: []string{tagSerial, tagNeedsControl}, reqs: []string{"IHSM-SLF-004", "IHSM-WIRE-013"}, opcode: true,
			enter: []string{"Given a provisioned partition", fmt.Sprintf("When the self-test %q is forced to fail", kat)},
			leave: []string{"When the device is power-cycled", "And I send GetDeviceInfo", "Then the response field device_state is Operational"},
		}, nil
	case "SM-DEVICE/Tampered":
		return stateRecipe{
			tags: []string{tagDestructive, tagSerial, tagNeedsControl}, reqs: []string{"IHSM-TMP-002", "IHSM-WIRE-013"}, opcode: true,
			enter: []string{"Given a provisioned partition", "When the device is tampered"},
			leave: []string{"When the device is reset", "And I send GetDeviceInfo", "Then the response field device_state is Operational"},
		}, nil
	case "SM-DEVICE/Zeroized":
		return stateRecipe{
			tags: []string{tagDestructive, tagSerial, tagNeedsControl}, reqs: []string{"IHSM-TMP-004", "IHSM-WIRE-013"}, opcode: true,
			enter: []string{"Given a provisioned partition", "When the device is zeroized"},
			leave: []string{"When the device is reset", "And I send GetDeviceInfo", "Then the response field device_state is Operational"},
		}, nil
	case "SM-PARTITION/Unprovisioned":
		return stateRecipe{
			tags: []string{tagDestructive, tagSerial}, reqs: []string{"IHSM-PRV-005", "IHSM-WIRE-013"}, opcode: true,
			enter: []string{"Given an unprovisioned partition"},
			leave: []string{"When I send EstablishCredential", status("Success")},
		}, nil
	case "SM-SESSION/NeedsRenegotiation":
		return stateRecipe{
			tags: []string{tagSerial, tagNeedsControl}, reqs: []string{"IHSM-SES-009", "IHSM-SES-010"}, profile: "migration",
			enter: []string{"Given a provisioned partition", "Given an open session", "When the device is migrated"},
			leave: []string{"When I renegotiate the session", status("Success")},
		}, nil
	case "SM-SESSION/Closed":
		return stateRecipe{
			reqs:  []string{"IHSM-SES-003", "IHSM-SES-007"},
			enter: []string{"Given a provisioned partition", "Given an open session", "When I close the session", status("Success")},
		}, nil
	}
	return stateRecipe{}, fmt.Errorf("%s state %s refuses commands with %s but has no recipe (add one to conformance/internal/featuregen)", m.ID, st.Name, st.Reject)
}

// refused returns the commands a state refuses, in opcode order: every
// command not in its allow list; for a session state only the commands
// sent in a session.
func (g *gen) refused(m *model.StateMachine, st *model.State) []*model.Command {
	if slices.Contains(st.Allow, "*") {
		return nil
	}
	var out []*model.Command
	for _, c := range g.commandsSorted() {
		if slices.Contains(st.Allow, c.Name) {
			continue
		}
		if m.ID == "SM-SESSION" && !isSession(c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// states is states.feature: for every state that refuses commands, an
// outline with one example per refused command, grouped by profile.
func (g *gen) states() (*feature, error) {
	f := &feature{
		file:  "states.feature",
		title: "Every command a state refuses",
		desc: "For every state of spec/states.yaml that refuses commands, one scenario per refused command: the device, " +
			"the partition or the session is put into the state, the command is sent, and the state's status comes back; " +
			"the scenario then leaves the state the way the spec allows.",
	}
	for i := range g.s.States {
		m := &g.s.States[i]
		for j := range m.States {
			st := &m.States[j]
			if st.Reject == "" {
				continue
			}
			cmds := g.refused(m, st)
			if len(cmds) == 0 {
				continue
			}
			rec, err := g.stateRecipe(m, st)
			if err != nil {
				return nil, err
			}
			title := fmt.Sprintf("<command> in the %s %s state is refused with %s", strings.ToLower(m.Name), st.Name, st.Reject)
			if rec.reason != "" {
				var names []string
				for _, c := range cmds {
					names = append(names, c.Name)
				}
				f.scenarios = append(f.scenarios, &scenario{
					name:    fmt.Sprintf("Every command but %s in the %s %s state is refused with %s", strings.Join(st.Allow, ", "), strings.ToLower(m.Name), st.Name, st.Reject),
					profile: "baseline", tags: []string{tagNotMechanical}, reqs: rec.reqs,
					desc: "Not produced mechanically: " + rec.reason + " Refused commands: " + strings.Join(names, ", ") + ".",
				})
				continue
			}
			send := "When I send <command>"
			cols := []string{"command"}
			if rec.opcode {
				send = "When I send opcode <opcode>"
				cols = append(cols, "opcode")
			}
			sc := &scenario{
				name: title, tags: rec.tags, reqs: rec.reqs, columns: cols,
				steps: cat(rec.enter, []string{send, status(st.Reject)}, rec.leave),
			}
			byProfile := map[string][][]string{}
			var order []string
			var other []string
			for _, c := range cmds {
				p := g.profileOf(c)
				if rec.profile != "" {
					if p != "baseline" && p != rec.profile {
						other = append(other, c.Name+" ("+p+")")
						continue
					}
					p = rec.profile
				}
				row := []string{c.Name}
				if rec.opcode {
					row = append(row, fmt.Sprintf("0x%04X", c.Opcode))
				}
				if _, ok := byProfile[p]; !ok {
					order = append(order, p)
				}
				byProfile[p] = append(byProfile[p], row)
			}
			for _, p := range order {
				sc.examples = append(sc.examples, examples{profile: p, rows: byProfile[p]})
			}
			f.scenarios = append(f.scenarios, sc)
			if len(other) > 0 {
				f.scenarios = append(f.scenarios, &scenario{
					name:    fmt.Sprintf("Commands of other profiles in the %s %s state are refused with %s", strings.ToLower(m.Name), st.Name, st.Reject),
					profile: rec.profile, tags: []string{tagNotMechanical}, reqs: rec.reqs,
					desc: "Not produced mechanically: the state exists only on a device with the " + rec.profile + " profile and these commands " +
						"belong to another profile; a scenario belongs to exactly one profile, so a run cannot tell whether the device " +
						"claims both. Commands: " + strings.Join(other, ", ") + ".",
				})
			}
		}
	}
	return f, nil
}
