package release

import (
	"os"
	"regexp"
	"strings"
	"testing"

	yaml "github.com/pb33f/go-yaml"
)

// actionStep is one step of action.yml's composite run.
type actionStep struct {
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
}

// actionSteps are the shell steps of the action at path (the uses: steps,
// setup-go and upload-artifact, are the runner's); each must be a bash step
// that takes its inputs through env, never ${{ }} inside the script.
func actionSteps(t *testing.T, path string) []actionStep {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string       `yaml:"using"`
			Steps []actionStep `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Fatalf("action.yml runs using %q, want composite", action.Runs.Using)
	}
	for _, in := range []string{"base-url", "token-cmd", "strict", "junit", "json"} {
		if _, ok := action.Inputs[in]; !ok {
			t.Errorf("action.yml has no input %q", in)
		}
	}
	var shell []actionStep
	for _, s := range action.Runs.Steps {
		if s.Uses != "" {
			continue
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: shell %q, want bash (a composite step must name it)", s.Name, s.Shell)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q puts an expression in its script: pass inputs through env (script injection)", s.Name)
		}
		shell = append(shell, s)
	}
	return shell
}

var (
	exprRE     = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	ternaryRE  = regexp.MustCompile(`^inputs\.([a-z-]+) == '([^']*)' && '([^']*)' \|\| '([^']*)'$`)
	equalityRE = regexp.MustCompile(`^inputs\.([a-z-]+) == '([^']*)'$`)
)

// evalExpr replaces the ${{ }} expressions of an env value as the runner
// would, for the forms action.yml uses.
func evalExpr(t *testing.T, v string, inputs map[string]string, actionPath string) string {
	t.Helper()
	return exprRE.ReplaceAllStringFunc(v, func(m string) string {
		e := exprRE.FindStringSubmatch(m)[1]
		switch {
		case e == "github.action_path":
			return actionPath
		case strings.HasPrefix(e, "inputs.") && !strings.Contains(e, " "):
			return inputs[strings.TrimPrefix(e, "inputs.")]
		}
		if p := ternaryRE.FindStringSubmatch(e); p != nil {
			if inputs[p[1]] == p[2] {
				return p[3]
			}
			return p[4]
		}
		t.Fatalf("an expression the test cannot evaluate: %q", e)
		return ""
	})
}

// evalCondition evaluates a step's if: for the forms action.yml uses.
func evalCondition(t *testing.T, cond string, inputs map[string]string) bool {
	t.Helper()
	cond = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cond), "${{"), "}}"))
	cond = strings.TrimPrefix(cond, "always() && ")
	if p := equalityRE.FindStringSubmatch(cond); p != nil {
		return inputs[p[1]] == p[2]
	}
	t.Fatalf("a condition the test cannot evaluate: %q", cond)
	return false
}
