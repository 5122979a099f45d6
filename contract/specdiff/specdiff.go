// Package specdiff lists the changes between two versions of the contract
// and says, for each, whether it breaks clients (the frontends that call
// the API) and whether it breaks backends (the servers that implement it).
// The comparison is oasdiff's (github.com/oasdiff/oasdiff, on kin-openapi);
// this package adds the backends' side and the project's policy on top.
//
// oasdiff judges from the client's side only: a change is an error (breaks
// clients), a warning (may break them) or information. Here:
//
//   - Breaks clients: oasdiff's errors and warnings, and two kinds of change
//     oasdiff calls information but this contract's clients depend on:
//     a documented status that disappears (a UI codes a path for the 500)
//     and a response property that disappears (every field of this
//     contract is optional, because the upstream page marks none required,
//     so "optional" says nothing about whether clients read it; removing
//     or renaming message breaks the UI that shows it).
//   - Breaks backends: the mirror image, by oasdiff's change ID (backendRules):
//     an answer the backend gave that the new version refuses (a status,
//     media type or enum value removed, a property's type changed or made
//     required, a bound tightened), a request the backend must now accept
//     that it could refuse before (a parameter or property made optional, a
//     bound loosened, an enum value added), or an operation added.
//
// What neither side can see: behaviour written in prose (what "revoke all
// sessions" means, which rules of contract/RULES.md apply), examples,
// x- extensions, and security semantics beyond the schemes' names.
package specdiff

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"

	"github.com/flashback/revoke-contract/spec"
)

// Change is one difference between the two versions.
type Change struct {
	ID             string `json:"id"`    // oasdiff's, such as response-property-type-changed
	Level          string `json:"level"` // oasdiff's: error, warning or info
	Operation      string `json:"operation,omitempty"`
	Path           string `json:"path,omitempty"`
	Text           string `json:"text"`
	BreaksClients  bool   `json:"breaksClients"`
	BreaksBackends bool   `json:"breaksBackends"`
	Why            string `json:"why,omitempty"` // when the verdict is this package's, not oasdiff's
}

// Result is every change, breaking for clients first.
type Result struct {
	Old     string   `json:"old"`
	New     string   `json:"new"`
	Changes []Change `json:"changes"`
}

// BreaksClients reports whether any change breaks clients.
func (r *Result) BreaksClients() bool {
	for _, c := range r.Changes {
		if c.BreaksClients {
			return true
		}
	}
	return false
}

// Document is one version of the spec: where it came from and its bytes.
type Document struct {
	Name string
	Data []byte
}

// Read reads a version named as a file path, or as git:REV:PATH (PATH
// relative to the repository's root, as `git show` reads it) from the
// repository around the working directory.
func Read(ref string) (Document, error) {
	if rest, ok := strings.CutPrefix(ref, "git:"); ok {
		rev, path, ok := strings.Cut(rest, ":")
		if !ok || rev == "" || path == "" || strings.HasPrefix(rev, "-") {
			return Document{}, fmt.Errorf("%q: want git:REV:PATH, such as git:HEAD~1:spec/openapi.yaml or git:v1.0.0:spec/openapi.yaml", ref)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("git", "show", "--end-of-options", rev+":"+path)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return Document{}, fmt.Errorf("%s: git show %s:%s failed: %s", ref, rev, path, strings.TrimSpace(stderr.String()))
			}
			return Document{}, fmt.Errorf("%s: cannot run git: %w", ref, err)
		}
		return Document{Name: ref, Data: stdout.Bytes()}, nil
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return Document{}, fmt.Errorf("reading %w", err)
	}
	return Document{Name: ref, Data: data}, nil
}

// Compare lists the changes from old to new. Both must load as the mock
// and the suite load a spec (spec.Load): a broken document is refused with
// its problems, not compared.
func Compare(old, new Document) (*Result, error) {
	var infos [2]*load.SpecInfo
	for i, d := range []Document{old, new} {
		if _, err := spec.Load(d.Name, d.Data); err != nil {
			return nil, err
		}
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		info, err := load.NewSpecInfoFromData(loader, d.Data, d.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		infos[i] = info
	}
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), infos[0], infos[1])
	if err != nil {
		return nil, fmt.Errorf("comparing %s with %s: %w", old.Name, new.Name, err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, sources, checker.INFO)
	l := checker.NewDefaultLocalizer()
	r := &Result{Old: old.Name, New: new.Name, Changes: []Change{}}
	for _, c := range found {
		ch := Change{ID: c.GetId(), Level: levelName(c.GetLevel()), Operation: c.GetOperation(), Path: c.GetPath(), Text: c.GetUncolorizedText(l)}
		ch.BreaksClients = c.GetLevel() >= checker.WARN
		if why, ok := clientBreaking[ch.ID]; ok && !ch.BreaksClients {
			ch.BreaksClients, ch.Why = true, why
		}
		ch.BreaksBackends = breaksBackends(ch.ID)
		r.Changes = append(r.Changes, ch)
	}
	sort.SliceStable(r.Changes, func(i, j int) bool {
		a, b := r.Changes[i], r.Changes[j]
		if a.BreaksClients != b.BreaksClients {
			return a.BreaksClients
		}
		return a.BreaksBackends && !b.BreaksBackends
	})
	return r, nil
}

func levelName(l checker.Level) string {
	switch {
	case l >= checker.ERR:
		return "error"
	case l == checker.WARN:
		return "warning"
	}
	return "info"
}

// clientBreaking are the changes oasdiff calls information that break this
// contract's clients, and why.
var clientBreaking = map[string]string{
	"response-non-success-status-removed":           "a documented outcome disappears: clients have code for it (the UI's error path)",
	"response-optional-property-removed":            "every field of this contract is optional (the upstream page marks none required): clients read them all the same",
	"response-optional-write-only-property-removed": "every field of this contract is optional: clients read them all the same",
	"response-media-type-removed":                   "clients that ask for or parse that media type get something else",
}

// backendRules say which of oasdiff's change IDs break a backend that
// conformed to the old version: every fragment of one rule must be in the ID.
var backendRules = [][]string{
	// An answer the backend gave that the new version refuses.
	{"response-", "status-removed"},
	{"response-", "media-type-removed"},
	{"response-", "became-required"},
	{"response-required-property-added"},
	{"response-required-write-only-property-added"},
	{"response-", "type-changed"},
	{"response-", "type-specialized"},
	{"response-", "enum-value-removed"},
	{"response-", "became-enum"},
	{"response-", "became-not-nullable"},
	{"response-", "narrowed"},
	{"response-", "max-", "decreased"},
	{"response-", "min-", "increased"},
	{"response-", "max-", "set"},
	{"response-", "min-", "set"},
	{"response-", "pattern-added"},
	{"response-", "pattern-changed"},
	{"response-", "const-added"},
	{"response-", "const-changed"},
	// A request the backend must now accept that it could refuse before.
	{"request-", "became-optional"},
	{"new-optional-request-"},
	{"request-body-added-optional"},
	{"request-", "media-type-added"},
	{"request-", "enum-value-added"},
	{"request-", "became-not-enum"},
	{"request-", "became-nullable"},
	{"request-", "widened"},
	{"request-", "generalized"},
	{"request-", "max-", "increased"},
	{"request-", "min-", "decreased"},
	{"request-", "pattern-removed"},
	{"request-", "type-changed"},
	// Something new to implement.
	{"endpoint-added"},
	{"api-path-added"},
}

func breaksBackends(id string) bool {
	for _, rule := range backendRules {
		ok := strings.HasPrefix(id, rule[0])
		for _, frag := range rule[1:] {
			ok = ok && strings.Contains(id[len(rule[0]):], frag)
		}
		if ok {
			return true
		}
	}
	return false
}
