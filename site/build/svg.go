package build

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/openihsm/openihsm/spec/model"
)

// The diagrams are SVG drawn from the spec, so they cannot drift from it.
// Text widths are estimated from the character count: the page's CSS sets
// the diagram font, and a generous per-character width keeps labels inside
// their boxes for the common sans-serif faces.
const (
	charW    = 7.4 // px per character at 13px
	boxH     = 40.0
	boxPadX  = 18.0
	minBoxW  = 120.0
	layerGap = 130.0
	colGap   = 90.0
	margin   = 24.0
)

type box struct {
	name    string
	x, y    float64 // top left
	w       float64
	layer   int
	term    bool
	initial bool
}

func (b *box) cx() float64 { return b.x + b.w/2 }
func (b *box) cy() float64 { return b.y + boxH/2 }

// edge joins the transitions between one ordered pair of states.
type edge struct {
	from, to string
	labels   []string
}

// stateDiagram lays the states of m out in layers by their distance from
// the initial state (breadth-first), draws each state as a rounded box and
// each group of transitions between two states as one labelled arrow.
// Arrows that go back up or stay in a layer bend to the side so they do not
// cover the forward ones.
func stateDiagram(m model.StateMachine) template.HTML {
	layer := map[string]int{}
	order := []string{}
	if m.State(m.Initial) != nil {
		layer[m.Initial] = 0
		order = append(order, m.Initial)
	}
	for i := 0; i < len(order); i++ {
		for _, t := range m.Transitions {
			if t.From == order[i] {
				if _, seen := layer[t.To]; !seen && m.State(t.To) != nil {
					layer[t.To] = layer[order[i]] + 1
					order = append(order, t.To)
				}
			}
		}
	}
	maxLayer := 0
	for _, l := range layer {
		maxLayer = max(maxLayer, l)
	}
	// States no transition reaches from the initial one go in a last row.
	for _, st := range m.States {
		if _, ok := layer[st.Name]; !ok {
			layer[st.Name] = maxLayer + 1
		}
	}
	rows := map[int][]*box{}
	boxes := map[string]*box{}
	nLayers := 0
	for _, st := range m.States {
		b := &box{name: st.Name, layer: layer[st.Name], term: st.Terminal, initial: st.Name == m.Initial}
		b.w = math.Max(minBoxW, float64(len(st.Name))*charW+2*boxPadX)
		rows[b.layer] = append(rows[b.layer], b)
		boxes[st.Name] = b
		nLayers = max(nLayers, b.layer+1)
	}
	width := 0.0
	for _, r := range rows {
		w := -colGap
		for _, b := range r {
			w += b.w + colGap
		}
		width = math.Max(width, w)
	}
	// Room on the right for the arrows that bend back up.
	width += 2*margin + 160
	for l := 0; l < nLayers; l++ {
		r := rows[l]
		w := -colGap
		for _, b := range r {
			w += b.w + colGap
		}
		x := margin + (width-2*margin-160-w)/2
		for _, b := range r {
			b.x, b.y = x, margin+30+float64(l)*(boxH+layerGap)
			x += b.w + colGap
		}
	}
	height := margin*2 + 30 + float64(nLayers)*(boxH+layerGap) - layerGap

	var edges []*edge
	byPair := map[[2]string]*edge{}
	for _, t := range m.Transitions {
		if boxes[t.From] == nil || boxes[t.To] == nil {
			continue
		}
		k := [2]string{t.From, t.To}
		e := byPair[k]
		if e == nil {
			e = &edge{from: t.From, to: t.To}
			byPair[k] = e
			edges = append(edges, e)
		}
		label := t.Command
		if label == "" {
			label = t.Event
		}
		if !contains(e.labels, label) {
			e.labels = append(e.labels, label)
		}
	}

	id := anchor(m.ID)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" role="img" aria-labelledby="%s-title %s-desc">`,
		num(width), num(height), num(width), id, id)
	fmt.Fprintf(&b, `<title id="%s-title">State machine %s (%s)</title>`, id, esc(m.Name), esc(m.ID))
	var desc []string
	for _, e := range edges {
		desc = append(desc, fmt.Sprintf("%s to %s on %s", e.from, e.to, strings.Join(e.labels, ", ")))
	}
	fmt.Fprintf(&b, `<desc id="%s-desc">Initial state %s. Transitions: %s.</desc>`, id, esc(m.Initial), esc(strings.Join(desc, "; ")))
	fmt.Fprintf(&b, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>`, id)

	// The initial state's entry arrow.
	if ib := boxes[m.Initial]; ib != nil {
		fmt.Fprintf(&b, `<circle class="start" cx="%s" cy="%s" r="6"/>`, num(ib.cx()), num(ib.y-28))
		fmt.Fprintf(&b, `<line class="edge" x1="%s" y1="%s" x2="%s" y2="%s" marker-end="url(#%s-arrow)"/>`, num(ib.cx()), num(ib.y-22), num(ib.cx()), num(ib.y-2), id)
	}
	var labels strings.Builder
	var placed []rect
	backLane := 0
	for _, bx := range boxes {
		placed = append(placed, rect{bx.x - 2, bx.y - 2, bx.w + 4, boxH + 4})
	}
	for _, e := range edges {
		from, to := boxes[e.from], boxes[e.to]
		text := strings.Join(e.labels, ", ")
		var c curve
		reverse := byPair[[2]string{e.to, e.from}] != nil
		switch {
		case from == to:
			// A loop on the right side of the box.
			x, y := from.x+from.w, from.cy()
			c = curve{p0: pt{x, y - 8}, c1: pt{x + 46, y - 34}, c2: pt{x + 46, y + 34}, p3: pt{x, y + 8}, cubic: true}
		case to.layer > from.layer:
			p0, p3 := pt{from.cx(), from.y + boxH}, pt{to.cx(), to.y}
			// Two arrows between the same pair run side by side.
			if reverse {
				p0.x -= 14
				p3.x -= 14
			}
			mid := pt{(p0.x + p3.x) / 2, (p0.y + p3.y) / 2}
			if to.layer-from.layer > 1 {
				mid.x -= 70
			}
			c = curve{p0: p0, c1: mid, p3: p3}
		case to.layer == from.layer:
			// Within a row: an arc below left to right, above right to left.
			dir := 1.0
			p0, p3 := pt{from.cx() + 10, from.y + boxH}, pt{to.cx() - 10, to.y + boxH}
			if to.x < from.x {
				dir = -1
				p0, p3 = pt{from.cx() - 10, from.y}, pt{to.cx() + 10, to.y}
			}
			// Longer spans bend deeper so they pass under the boxes between.
			depth := 40 + 0.2*math.Abs(p3.x-p0.x)
			c = curve{p0: p0, c1: pt{(p0.x + p3.x) / 2, p0.y + dir*depth}, p3: p3}
		case reverse:
			// Back up beside the forward arrow of the same pair.
			p0, p3 := pt{from.cx() + 14, from.y}, pt{to.cx() + 14, to.y + boxH}
			c = curve{p0: p0, c1: pt{(p0.x+p3.x)/2 + 40, (p0.y + p3.y) / 2}, p3: p3}
		default:
			// Back up: leave from the right side and bend out.
			backLane++
			p0, p3 := pt{from.x + from.w, from.cy() + 6}, pt{to.x + to.w, to.cy() - 6}
			out := math.Max(p0.x, p3.x) + 30 + float64(backLane%4)*22
			c = curve{p0: p0, c1: pt{out, p0.y}, c2: pt{out, p3.y}, p3: p3, cubic: true}
		}
		fmt.Fprintf(&b, `<path class="edge" d="%s" marker-end="url(#%s-arrow)"/>`, c.d(), id)
		// Put the label on the first spot along the arrow where it covers
		// neither a box nor another label.
		w := float64(len(text))*6.4 + 8
		at := c.at(0.5)
		for _, t := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8} {
			p := c.at(t)
			r := rect{p.x - w/2, p.y - 9, w, 18}
			if !r.hitsAny(placed) {
				at = p
				break
			}
		}
		placed = append(placed, rect{at.x - w/2, at.y - 9, w, 18})
		labels.WriteString(label(at.x, at.y, text, "middle"))
	}
	for _, st := range m.States {
		bx := boxes[st.Name]
		cls := "state"
		if bx.term {
			cls += " terminal"
		}
		if bx.initial {
			cls += " initial"
		}
		fmt.Fprintf(&b, `<g class="%s"><rect x="%s" y="%s" width="%s" height="%s" rx="12"/><text x="%s" y="%s" text-anchor="middle" dominant-baseline="central">%s</text></g>`,
			cls, num(bx.x), num(bx.y), num(bx.w), num(boxH), num(bx.cx()), num(bx.cy()), esc(st.Name))
	}
	b.WriteString(labels.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type pt struct{ x, y float64 }

type rect struct{ x, y, w, h float64 }

func (r rect) hitsAny(rs []rect) bool {
	for _, o := range rs {
		if r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h {
			return true
		}
	}
	return false
}

// curve is a quadratic (p0, c1, p3) or cubic (p0, c1, c2, p3) Bézier.
type curve struct {
	p0, c1, c2, p3 pt
	cubic          bool
}

func (c curve) d() string {
	if c.cubic {
		return fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", num(c.p0.x), num(c.p0.y), num(c.c1.x), num(c.c1.y), num(c.c2.x), num(c.c2.y), num(c.p3.x), num(c.p3.y))
	}
	return fmt.Sprintf("M%s,%s Q%s,%s %s,%s", num(c.p0.x), num(c.p0.y), num(c.c1.x), num(c.c1.y), num(c.p3.x), num(c.p3.y))
}

func (c curve) at(t float64) pt {
	u := 1 - t
	if c.cubic {
		return pt{
			u*u*u*c.p0.x + 3*u*u*t*c.c1.x + 3*u*t*t*c.c2.x + t*t*t*c.p3.x,
			u*u*u*c.p0.y + 3*u*u*t*c.c1.y + 3*u*t*t*c.c2.y + t*t*t*c.p3.y,
		}
	}
	return pt{u*u*c.p0.x + 2*u*t*c.c1.x + t*t*c.p3.x, u*u*c.p0.y + 2*u*t*c.c1.y + t*t*c.p3.y}
}

// label is an edge label on a white backing so crossing arrows stay
// readable.
func label(x, y float64, text, align string) string {
	w := float64(len(text))*6.4 + 8
	rx := x - w/2
	if align == "start" {
		rx = x - 4
	}
	return fmt.Sprintf(`<g class="label"><rect x="%s" y="%s" width="%s" height="18" rx="3"/><text x="%s" y="%s" text-anchor="%s" dominant-baseline="central">%s</text></g>`,
		num(rx), num(y-9), num(w), num(x), num(y), align, esc(text))
}

// byteRuler draws a byte layout as a ruler of fields: each field a cell as
// wide as its size (within bounds so short fields stay legible and long
// ones stay on the page), its offset above and its size below. Fields of
// variable size get a fixed width and their size expression.
func byteRuler(f model.MaskedKeyFormat) template.HTML {
	if len(f.Fields) == 0 {
		return ""
	}
	const (
		maxW   = 760.0
		rowH   = 96.0
		cellH  = 40.0
		perB   = 14.0
		minW   = 64.0
		varW   = 130.0
		maxCel = 240.0
	)
	type cell struct {
		f    model.ByteField
		x, y float64
		w    float64
	}
	var cells []cell
	x, y := margin, margin+18
	for _, fl := range f.Fields {
		w := varW
		if n, err := strconv.Atoi(fl.Size); err == nil {
			w = math.Min(maxCel, math.Max(minW, float64(n)*perB))
		}
		w = math.Max(w, float64(len(fl.Name))*charW+14)
		if x+w > maxW-margin && x > margin {
			x, y = margin, y+rowH
		}
		cells = append(cells, cell{f: fl, x: x, y: y, w: w})
		x += w
	}
	height := y + cellH + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="diagram ruler" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" role="img" aria-labelledby="ruler-title ruler-desc">`, num(maxW), num(height), num(maxW))
	fmt.Fprintf(&b, `<title id="ruler-title">Masked key blob version %d, byte layout</title>`, f.Version)
	var desc []string
	for _, c := range f.Fields {
		desc = append(desc, fmt.Sprintf("%s at offset %s, %s bytes", c.Name, c.Offset, c.Size))
	}
	fmt.Fprintf(&b, `<desc id="ruler-desc">%s.</desc>`, esc(strings.Join(desc, "; ")))
	for i, c := range cells {
		cls := "field"
		if i%2 == 1 {
			cls += " alt"
		}
		if _, err := strconv.Atoi(c.f.Size); err != nil {
			cls += " variable"
		}
		fmt.Fprintf(&b, `<g class="%s"><rect x="%s" y="%s" width="%s" height="%s"/>`, cls, num(c.x), num(c.y), num(c.w), num(cellH))
		fmt.Fprintf(&b, `<text class="name" x="%s" y="%s" text-anchor="middle" dominant-baseline="central">%s</text>`, num(c.x+c.w/2), num(c.y+cellH/2), esc(c.f.Name))
		fmt.Fprintf(&b, `<text class="offset" x="%s" y="%s">%s</text>`, num(c.x+3), num(c.y-6), esc(c.f.Offset))
		fmt.Fprintf(&b, `<text class="size" x="%s" y="%s" text-anchor="middle">%s</text></g>`, num(c.x+c.w/2), num(c.y+cellH+16), esc(sizeText(c.f.Size)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func sizeText(s string) string {
	if n, err := strconv.Atoi(s); err == nil {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	return s
}

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

func esc(s string) string { return template.HTMLEscapeString(s) }

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
