package modroot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(deep); got != "" {
		t.Skipf("%s has a go.mod above it (%s): cannot test the not-found case", deep, got)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(deep); got != root {
		t.Errorf("Find(%q) = %q, want %q", deep, got, root)
	}
	t.Chdir(deep)
	if got, err := FromWorkingDir(); err != nil || got != root {
		t.Errorf("FromWorkingDir() = %q, %v", got, err)
	}
}
