// Package modroot finds this repository's root: the nearest folder with a
// go.mod at or above a given one. Tests and the in-repo tools use it to
// reach files and build commands whatever folder go test runs them in.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
)

// Find returns the nearest directory at or above dir that holds a go.mod,
// or "" when there is none.
func Find(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// FromWorkingDir is Find from the working directory; an error when no
// folder above it has a go.mod.
func FromWorkingDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if root := Find(wd); root != "" {
		return root, nil
	}
	return "", errors.New("no go.mod in " + wd + " or above it: run this from inside the repository")
}
