package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what a step does.
type Kind int

const (
	// Login creates Count new sessions of User.
	Login Kind = iota
	// Call sends Form with session Sess's token.
	Call
	// Probe sends the configured probe with session Sess's token.
	Probe
	// Wait lets time pass.
	Wait
	// Group sends its calls at once, as concurrent clients do.
	Group
)

// Step is one step of a history. Sessions are numbered in the order the
// history creates them, from 1 ($TOKEN_1 in the script).
type Step struct {
	Kind  Kind
	User  string        // Login
	Count int           // Login
	Sess  int           // Call, Probe
	Aux   int           // Call with a form that uses a second (dead) token
	Form  *Form         // Call
	Wait  time.Duration // Wait
	Calls []Step        // Group: Call steps
	// Final marks the durability check after the last step.
	Final bool
}

// sessionsUsed lists the sessions a step's requests carry.
func (s Step) sessionsUsed() []int {
	switch s.Kind {
	case Call, Probe:
		if s.Aux != 0 {
			return []int{s.Sess, s.Aux}
		}
		return []int{s.Sess}
	case Group:
		var out []int
		for _, c := range s.Calls {
			out = append(out, c.sessionsUsed()...)
		}
		return out
	}
	return nil
}

// renumber keeps the steps of h whose sessions all still exist once the
// logins not in keep are gone, numbering sessions afresh. keep[i] says
// whether step i stays; the result maps old session numbers to new ones.
func renumber(h []Step, keep []bool) ([]Step, map[int]int) {
	old, next := 0, 0
	m := map[int]int{}
	var out []Step
	for i, s := range h {
		if s.Kind == Login {
			for range s.Count {
				old++
				if keep[i] {
					next++
					m[old] = next
				}
			}
		}
		if !keep[i] {
			continue
		}
		ok := true
		for _, n := range s.sessionsUsed() {
			if _, live := m[n]; !live {
				ok = false
			}
		}
		if !ok {
			continue
		}
		out = append(out, remap(s, m))
	}
	return out, m
}

func remap(s Step, m map[int]int) Step {
	if s.Sess != 0 {
		s.Sess = m[s.Sess]
	}
	if s.Aux != 0 {
		s.Aux = m[s.Aux]
	}
	if s.Kind == Group {
		calls := make([]Step, len(s.Calls))
		for i, c := range s.Calls {
			calls[i] = remap(c, m)
		}
		s.Calls = calls
	}
	return s
}

// Line is one numbered line of a reported history: the shell command and
// what the model expected and the backend answered.
type Line struct {
	N       string `json:"n"` // "3", or "4a", "4b" for concurrent calls
	Command string `json:"command"`
	Note    string `json:"note"`
}

// Script renders a history as a bash script of numbered lines: logins as
// TOKEN_n=$(...), calls as curl commands that print their status as
// "[step N: CODE]", concurrent calls in one subshell, each marked.
type Script struct {
	BaseURL string
	// Mint is the shell command printing the token of a new session of user.
	Mint  func(user string) string
	Probe *ProbeSpec
}

// Lines renders h with notes (one per step, "" for none).
func (sc Script) Lines(h []Step, notes []string, users map[int]string) []Line {
	var out []Line
	tok := 0
	for i, s := range h {
		n := strconv.Itoa(i + 1)
		note := ""
		if i < len(notes) {
			note = notes[i]
		}
		switch s.Kind {
		case Login:
			var cmds []string
			first := tok + 1
			for range s.Count {
				tok++
				cmds = append(cmds, fmt.Sprintf("TOKEN_%d=$(%s)", tok, sc.Mint(s.User)))
			}
			what := fmt.Sprintf("%s logs in: session %d", s.User, first)
			if s.Count > 1 {
				what = fmt.Sprintf("%s logs in %d times: sessions %d to %d", s.User, s.Count, first, tok)
				cmds = []string{fmt.Sprintf(`for i in $(seq %d %d); do declare "TOKEN_$i=$(%s)"; done`, first, tok, sc.Mint(s.User))}
			}
			out = append(out, Line{N: n, Command: strings.Join(cmds, "; "), Note: join(what, note)})
		case Wait:
			out = append(out, Line{N: n, Command: fmt.Sprintf("sleep %s", seconds(s.Wait)), Note: join(fmt.Sprintf("%s passes", s.Wait), note)})
		case Call, Probe:
			out = append(out, Line{N: n, Command: sc.curl(s, n, users), Note: join(sc.describe(s, users), note)})
		case Group:
			var parts []string
			for j, c := range s.Calls {
				parts = append(parts, sc.curl(c, fmt.Sprintf("%s%c", n, 'a'+j), users)+" &")
			}
			out = append(out, Line{N: n, Command: "( " + strings.Join(parts, " ") + " wait )", Note: join(fmt.Sprintf("concurrently: %s", sc.describeGroup(s, users)), note)})
		}
	}
	return out
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func (sc Script) describe(s Step, users map[int]string) string {
	if s.Kind == Probe {
		return fmt.Sprintf("probe with session %d (%s)", s.Sess, users[s.Sess])
	}
	d := fmt.Sprintf("%s, session %d (%s)", s.Form.Name, s.Sess, users[s.Sess])
	if s.Aux != 0 {
		d += fmt.Sprintf(", revoked token: session %d (%s)", s.Aux, users[s.Aux])
	}
	return d
}

func (sc Script) describeGroup(s Step, users map[int]string) string {
	var parts []string
	for _, c := range s.Calls {
		parts = append(parts, sc.describe(c, users))
	}
	return strings.Join(parts, " | ")
}

// curl renders one call; it prints the body and then "[step N: CODE]".
func (sc Script) curl(s Step, n string, users map[int]string) string {
	tpl := sc.template(s)
	other := otherUser(users[s.Sess])
	var b strings.Builder
	b.WriteString("curl -s")
	switch tpl.Method {
	case "HEAD":
		b.WriteString(" -I")
	case "GET":
	default:
		b.WriteString(" -X " + tpl.Method)
	}
	b.WriteString(" --path-as-is -w '\\n[step " + n + ": %{http_code}]\\n' ")
	b.WriteString(`"$BASE"` + shellExpand(tpl.Path, s.Sess, s.Aux, other))
	for _, h := range tpl.Header {
		b.WriteString(" -H " + shellExpand(h[0]+": "+h[1], s.Sess, s.Aux, other))
	}
	if tpl.Body != "" {
		b.WriteString(" --data-binary " + shellExpand(tpl.Body, s.Sess, s.Aux, other))
	}
	return b.String()
}

func (sc Script) template(s Step) Template {
	if s.Kind == Probe {
		return Template{Method: sc.Probe.Method, Path: sc.Probe.Path, Header: [][2]string{accept, bearer("{{T}}")}}
	}
	return s.Form.Tpl
}

// Text is the whole script: a header with how to run it, then the lines.
func (sc Script) Text(lines []Line) string {
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\n# The history, step by step: set CONTRACT_TOKEN_CMD (or edit the TOKEN_n lines) and run with bash.\n")
	fmt.Fprintf(&b, "BASE=%s\n", shellExpand(sc.BaseURL, 0, 0, ""))
	for _, l := range lines {
		fmt.Fprintf(&b, "%s   # %s. %s\n", l.Command, l.N, l.Note)
	}
	return b.String()
}

// otherUser is the user an identity form names: not the caller.
func otherUser(u string) string {
	if u == Primary {
		return Secondary
	}
	return Primary
}

// The users the checker creates sessions for (CONTRACT_USER).
const (
	Primary   = "primary"
	Secondary = "secondary"
)
