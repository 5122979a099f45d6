// Command jsgen writes the files the npm package revoke-mock generates from
// the embedded spec: lib/openapi.json (the spec as JSON, which the MSW
// handlers answer from, so their examples are the Go mock's) and the header
// of lib/openapi.d.ts (the hash of the spec the types were generated from;
// the types themselves come from openapi-typescript, run by make js-types).
//
//	go run ./tools/jsgen            # rewrite npm/revoke-mock/lib/openapi.json
//	go run ./tools/jsgen -hash      # print the header line of openapi.d.ts
//
// Its tests keep the npm package in step with the spec (these files, and
// the JS API's own tests under npm/revoke-mock/test) and the README's
// frontend snippets with the examples make js-check runs.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flashback/revoke-contract/internal/modroot"
	"github.com/flashback/revoke-contract/spec"
)

func main() {
	hash := flag.Bool("hash", false, "print the header line openapi.d.ts must start with")
	flag.Parse()
	if *hash {
		fmt.Println(TypesHeader(spec.OpenAPI))
		return
	}
	root, err := modroot.FromWorkingDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsgen:", err)
		os.Exit(1)
	}
	data, err := SpecJSON(spec.OpenAPI)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsgen:", err)
		os.Exit(1)
	}
	out := filepath.Join(root, filepath.FromSlash(SpecJSONPath))
	if err := os.WriteFile(out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "jsgen:", err)
		os.Exit(1)
	}
	fmt.Println("jsgen: wrote", SpecJSONPath)
}
