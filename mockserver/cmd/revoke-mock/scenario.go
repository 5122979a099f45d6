package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// runScenario arranges outcomes from a terminal, through the control API:
//
//	revoke-mock scenario add --operation post__sessions_revoke-all --status 500 --times 1
//	revoke-mock scenario list
//	revoke-mock scenario delete sc-1
//	revoke-mock scenario clear
func runScenario(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("scenario: want add, list, delete ID or clear")}
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("revoke-mock scenario "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envDefault("url", "http://127.0.0.1:4010"), "base URL of the mock")
	token := fs.String("control-token", envDefault("control-token", ""), "the mock's --control-token, if it has one")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	var body map[string]any
	var asJSON *bool
	switch verb {
	case "add":
		body = map[string]any{}
		str := func(name, usage string) {
			fs.Func(name, usage, func(v string) error { body[name] = v; return nil })
		}
		str("operation", "the operationId, such as post__sessions_revoke-all")
		str("method", "the method (with --path), instead of --operation")
		str("path", "the path (with --method), instead of --operation")
		str("status", "a documented status, such as 500")
		str("example", "a documented example, such as server_error")
		str("delay", "hold the answer this long, such as 1.5s (at most 60s)")
		str("fault", "reset, close, hang, drip or malformed")
		str("user", "only requests of this user's sessions")
		fs.Func("times", "how many requests it decides (default: until deleted)", func(v string) error {
			var n int
			if _, err := fmt.Sscan(v, &n); err != nil {
				return fmt.Errorf("want a whole number")
			}
			body["times"] = n
			return nil
		})
		fs.Func("header", "only requests carrying this header value: 'X-Developer: ann'", func(v string) error {
			name, value, ok := strings.Cut(v, ":")
			if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(value) == "" {
				return fmt.Errorf("want 'Name: value'")
			}
			body["header"] = map[string]string{"name": strings.TrimSpace(name), "value": strings.TrimSpace(value)}
			return nil
		})
	case "list":
		asJSON = fs.Bool("json", false, "print the control API's JSON instead of a table")
	case "delete", "clear":
	default:
		return usageError{fmt.Errorf("scenario %q: want add, list, delete ID or clear", verb)}
	}
	var id string
	if verb == "delete" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:] // delete ID --url ...: the ID may come first
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("scenario: --url %q: want a base URL such as http://127.0.0.1:4010", *base)}
	}
	switch {
	case verb == "delete" && id == "" && fs.NArg() == 1:
		id = fs.Arg(0)
	case verb == "delete" && (id == "") != (fs.NArg() == 1):
		return usageError{errors.New("scenario delete: want one scenario ID, as in `revoke-mock scenario delete sc-1`")}
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("scenario %s: unexpected argument %q", verb, fs.Arg(0))}
	}
	if verb == "add" {
		if _, ok := body["operation"]; !ok && (body["method"] == nil || body["path"] == nil) {
			return usageError{errors.New("scenario add: --operation, or --method and --path, is required")}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := &controlclient.Client{BaseURL: u.String(), ControlToken: *token}
	switch verb {
	case "add":
		data, err := c.Do(ctx, http.MethodPost, "/__mock/scenarios", body)
		if err != nil {
			return fmt.Errorf("scenario add: %w", err)
		}
		var sc struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &sc) != nil || sc.ID == "" {
			return fmt.Errorf("scenario add: the mock answered without an id: %s", data)
		}
		_, err = fmt.Fprintln(stdout, sc.ID)
		return err
	case "list":
		data, err := c.Do(ctx, http.MethodGet, "/__mock/scenarios", nil)
		if err != nil {
			return fmt.Errorf("scenario list: %w", err)
		}
		if *asJSON {
			_, err = stdout.Write(append(data, '\n'))
			return err
		}
		return printScenarios(stdout, data)
	case "delete":
		_, err := c.Do(ctx, http.MethodDelete, "/__mock/scenarios/"+url.PathEscape(id), nil)
		if err != nil {
			return fmt.Errorf("scenario delete: %w", err)
		}
		return nil
	default: // clear
		_, err := c.Do(ctx, http.MethodDelete, "/__mock/scenarios", nil)
		if err != nil {
			return fmt.Errorf("scenario clear: %w", err)
		}
		return nil
	}
}

// printScenarios prints GET /__mock/scenarios as a table.
func printScenarios(w io.Writer, data []byte) error {
	var v struct {
		Scenarios []struct {
			ID, Method, Path, Status, Example, Delay, Fault, User string
			Remaining                                             int
			Header                                                *struct{ Name, Value string }
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("scenario list: the mock's answer is not a list of scenarios: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOPERATION\tSTATUS\tEXAMPLE\tDELAY\tFAULT\tREMAINING\tSCOPE")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, s := range v.Scenarios {
		remaining := fmt.Sprint(s.Remaining)
		if s.Remaining < 0 {
			remaining = "until deleted"
		}
		var scope []string
		if s.User != "" {
			scope = append(scope, "user "+s.User)
		}
		if s.Header != nil {
			scope = append(scope, s.Header.Name+": "+s.Header.Value)
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Method, s.Path, dash(s.Status), dash(s.Example), dash(s.Delay), dash(s.Fault), remaining, dash(strings.Join(scope, ", ")))
	}
	return tw.Flush()
}
