package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/flashback/revoke-contract/contract"
	"github.com/flashback/revoke-contract/contract/specdiff"
)

const diffUsage = `revoke-contract diff [--json] OLD NEW

Lists the changes from OLD to NEW, two versions of the OpenAPI contract, each
a file or git:REV:PATH (git:HEAD~1:spec/openapi.yaml), and says whether each
breaks clients (frontends) and backends (implementations).
Exit status: 0 nothing breaks clients (backend-only changes are listed, not
failed), 1 a change breaks clients, 2 a usage error or a document that does
not load.
`

// specDiff is `revoke-contract diff`.
func specDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("revoke-contract diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, diffUsage); fs.PrintDefaults() }
	asJSON := fs.Bool("json", false, "print the changes as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return contract.ExitConforms
		}
		return contract.ExitUsage
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "revoke-contract diff: want two versions, OLD and NEW (files or git:REV:PATH); got %d arguments\n", fs.NArg())
		return contract.ExitUsage
	}
	var docs [2]specdiff.Document
	for i := range docs {
		var err error
		if docs[i], err = specdiff.Read(fs.Arg(i)); err != nil {
			fmt.Fprintf(stderr, "revoke-contract diff: %v\n", err)
			return contract.ExitUsage
		}
	}
	res, err := specdiff.Compare(docs[0], docs[1])
	if err != nil {
		fmt.Fprintf(stderr, "revoke-contract diff: %v\n", err)
		return contract.ExitUsage
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		printDiff(stdout, res)
	}
	if res.BreaksClients() {
		return contract.ExitFailed
	}
	return contract.ExitConforms
}

func printDiff(out io.Writer, res *specdiff.Result) {
	if len(res.Changes) == 0 {
		fmt.Fprintf(out, "no changes from %s to %s\n", res.Old, res.New)
		return
	}
	mark := func(b bool) string {
		if b {
			return "BREAKING"
		}
		return "-"
	}
	clients, backends := 0, 0
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENTS\tBACKENDS\tOPERATION\tCHANGE")
	for _, c := range res.Changes {
		op := c.Operation + " " + c.Path
		if c.Path == "" {
			op = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\n", mark(c.BreaksClients), mark(c.BreaksBackends), op, c.Text, c.ID)
		if c.BreaksClients {
			clients++
		}
		if c.BreaksBackends {
			backends++
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\n%d changes from %s to %s: %d break clients, %d break backends (listed, never failed).\n", len(res.Changes), res.Old, res.New, clients, backends)
	for _, c := range res.Changes {
		if c.Why != "" {
			fmt.Fprintf(out, "  %s breaks clients here although oasdiff rates it %s: %s\n", c.ID, c.Level, c.Why)
		}
	}
}
