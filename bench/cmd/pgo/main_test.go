package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/internal/modroot"
)

// TestCommittedProfile: the profile release builds use is committed, is a
// pprof CPU profile (gzip-compressed protocol buffers), and profiles the
// mock's request path and the loads listed here (a profile of something
// else would optimise nothing that matters).
func TestCommittedProfile(t *testing.T) {
	root, err := modroot.FromWorkingDir()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, DefaultProfile))
	if err != nil {
		t.Fatalf("%v: make pgo writes it", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not gzip-compressed (a pprof profile is): %v", DefaultProfile, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{
		"net/http.(*conn).serve",
		"mockserver.(*Server).serveAPI", // the pipeline
		"mockserver.corsPolicy.apply",   // a page's requests
		"mockserver.(*Server).authenticate",
		"mockserver/store.(*Memory).RevokeUser", // sessions created and revoked
		"mockserver/reqlog.(*Logger).Log",
		"mockserver/journal.(*Ring).Add",
		"samples", "nanoseconds", // a CPU profile's sample types
	} {
		if !bytes.Contains(raw, []byte(fn)) {
			t.Errorf("%s does not name %s", DefaultProfile, fn)
		}
	}
}

// TestLoadsShareTheTime: every run's loads take a positive share, and the
// shares add up to the whole.
func TestLoadsShareTheTime(t *testing.T) {
	total := 0.0
	for _, r := range runs {
		for _, l := range r.loads {
			if l.share <= 0 || strings.TrimSpace(l.script) == "" {
				t.Errorf("load %q: share %v, script %q", l.name, l.share, l.script)
			}
			total += l.share
		}
	}
	if total < 0.999 || total > 1.001 {
		t.Errorf("the shares add up to %v, want 1", total)
	}
}
