package contract

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The HTML report (--html, CONTRACT_HTML): one self-contained file made
// from the JSON report, so it holds exactly what that holds, redacted the
// same way. Style and script are inline and a Content-Security-Policy lets
// the page load nothing at all: it works offline, as a CI artifact.

var (
	//go:embed htmlreport/report.html.tmpl
	htmlReportTemplate string
	//go:embed htmlreport/report.css
	htmlReportCSS string
	//go:embed htmlreport/report.js
	htmlReportJS string
)

// htmlOutcomes orders the sections of the report: failures first.
var htmlOutcomes = []struct{ Outcome, Title string }{
	{"failed", "Failed"},
	{"could-not-check", "Could not check"},
	{"finding", "SHOULD findings"},
	{"skipped", "Skipped"},
	{"not-run", "Not run"},
	{"passed", "Passed"},
	{"not-selected", "Not selected"},
}

type htmlSection struct {
	Outcome, Title string
	Rules          []JSONRule
}

type htmlLabel struct {
	Label string
	Rules []JSONRule
}

type htmlData struct {
	R        JSONReport
	Sections []htmlSection
	Labels   []htmlLabel
	CSP      string
	Style    template.CSS
	Script   template.JS
}

func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var htmlReportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
	"anchor": func(id string) string {
		return "rule-" + strings.ToLower(id)
	},
	"headers": func(h map[string][]string) [][2]string {
		var out [][2]string
		for k, vs := range h {
			for _, v := range vs {
				out = append(out, [2]string{k, v})
			}
		}
		slices.SortStableFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		return out
	},
}).Parse(htmlReportTemplate))

// renderHTMLReport renders r as one HTML page.
func renderHTMLReport(r JSONReport) ([]byte, error) {
	d := htmlData{R: r, Style: template.CSS(htmlReportCSS), Script: template.JS(htmlReportJS),
		CSP: "default-src 'none'; img-src data:; style-src " + hashSource(htmlReportCSS) + "; script-src " + hashSource(htmlReportJS) + "; base-uri 'none'; form-action 'none'"}
	for _, o := range htmlOutcomes {
		s := htmlSection{Outcome: o.Outcome, Title: o.Title}
		for _, rule := range r.Rules {
			if rule.Outcome == o.Outcome {
				s.Rules = append(s.Rules, rule)
			}
		}
		if len(s.Rules) > 0 {
			d.Sections = append(d.Sections, s)
		}
	}
	byLabel := map[string][]JSONRule{}
	for _, rule := range r.Rules {
		for _, l := range rule.Labels {
			byLabel[l] = append(byLabel[l], rule)
		}
	}
	for l, rules := range byLabel {
		d.Labels = append(d.Labels, htmlLabel{Label: l, Rules: rules})
	}
	slices.SortFunc(d.Labels, func(a, b htmlLabel) int { return strings.Compare(a.Label, b.Label) })
	var buf bytes.Buffer
	if err := htmlReportTmpl.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("rendering the HTML report: %w", err)
	}
	return buf.Bytes(), nil
}

// writeHTMLReport writes r as HTML to path, whole or not at all.
func writeHTMLReport(r JSONReport, path string) error {
	data, err := renderHTMLReport(r)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".contract-report-*.html")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
