package contract

import (
	"strings"
	"testing"
)

// TestValidateReportCanFail: the schema check accepts a report the suite
// wrote and refuses broken ones, so that a test relying on it has teeth.
func TestValidateReportCanFail(t *testing.T) {
	good := `{"schemaVersion":1,"tool":"revoke-contract","target":"http://h","spec":"s","strict":false,"timeout":"10s",
	"tokenSource":"x","startedAt":"2026-11-26T07:00:00Z","durationSeconds":0.1,"exitStatus":0,"verdict":"conforms","suiteProblems":[],
	"summary":{"score":"MUST 1/1, SHOULD 0/0","must":{"total":1,"outcomes":{"passed":1,"failed":0,"finding":0,"skipped":0,"could-not-check":0,"not-selected":0,"not-run":0},"score":"1/1"},
	"should":{"total":0,"outcomes":{"passed":0,"failed":0,"finding":0,"skipped":0,"could-not-check":0,"not-selected":0,"not-run":0},"score":"0/0"},"findings":0,"sessionsMinted":0},
	"rules":[{"id":"AUTH-001","level":"MUST","labels":["auth","must"],"requirement":"r","source":"s","outcome":"passed","findings":0,"sessionsMinted":{},"violations":[]}]}`
	if err := ValidateReport([]byte(good)); err != nil {
		t.Fatalf("a good report: %v", err)
	}
	for name, bad := range map[string]string{
		"not JSON":        `{`,
		"unknown outcome": strings.Replace(good, `"outcome":"passed"`, `"outcome":"great"`, 1),
		"bad exit":        strings.Replace(good, `"exitStatus":0`, `"exitStatus":7`, 1),
		"bad time":        strings.Replace(good, `2026-11-26T07:00:00Z`, `yesterday`, 1),
		"extra field":     strings.Replace(good, `"tool":`, `"token":"x","tool":`, 1),
		"no rules":        strings.Replace(good, `"rules":[`, `"rulez":[`, 1),
	} {
		if err := ValidateReport([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
