package contract

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"

	"github.com/flashback/revoke-contract/contract/internal/model"
	"github.com/flashback/revoke-contract/contract/internal/wire"
	"github.com/flashback/revoke-contract/internal/shell"
	"github.com/flashback/revoke-contract/mockserver/controlclient"
)

// The MODEL rules share one exploration: the first of them to run
// generates and checks the history; each reports the violations of its
// invariant.
var (
	modelOnce   sync.Once
	modelResult model.Result
	modelRuleOf string // the rule that ran the exploration (its sessions)
)

func modelRules() {
	Context("over generated histories of sessions, checked against the model", func() {
		rule(model.RuleIdentity, "identity comes from the bearer credential alone", modelVerdict)
		rule(model.RuleRevocation, "revocation is total and lasting", modelVerdict)
		rule(model.RuleUnchanged, "nothing else changes", modelVerdict)
		rule(model.RuleAnswers, "every generated answer passes the schema and HTTP checks", modelVerdict)
	})
}

func modelVerdict(c *check) {
	if !env.tokens.CanMint() {
		Skip(env.tokens.NeedsCmd() + " (the model creates sessions of both users)")
	}
	modelOnce.Do(func() {
		modelRuleOf = c.rule.ID
		modelResult = explore(c.ctx)
		fmt.Fprintln(GinkgoWriter, modelResult.Summary())
		for _, s := range modelResult.Inferred {
			fmt.Fprintln(GinkgoWriter, "model: inferred: "+s)
		}
		registered.mu.Lock()
		registered.model = &modelResult
		registered.mu.Unlock()
	})
	res := modelResult
	if c.rule.ID == modelRuleOf {
		for u, n := range res.Sessions {
			c.rec.minted[u] += n
		}
	}
	if v := res.Violation; v != nil && v.Rule == c.rule.ID {
		c.violations = append(c.violations, Violation{What: v.String(), Exchange: v.Exchange, History: &History{
			Seed: res.Seed, Steps: v.Steps, FromSteps: v.FromSteps, Reproduced: v.Reproduced, Lines: v.Lines, Script: v.Script, Replay: replayCommand(res.Seed),
		}})
		c.violations[len(c.violations)-1].What += "  replay: " + replayCommand(res.Seed) + "\n"
	}
	if res.CouldNotCheck && len(c.violations) == 0 {
		c.couldNotCheck("the model's exploration stopped: " + res.Stopped)
	}
	AddReportEntry("model", res.Summary(), ReportEntryVisibilityNever)
}

// explore runs the checker with the suite's client and token source.
func explore(ctx context.Context) model.Result {
	cfg := env.cfg
	mc := model.Config{
		Seed: cfg.Seed, Steps: cfg.Steps, DurabilityWait: cfg.DurabilityWait,
		Script: model.Script{BaseURL: env.client.URL(""), Mint: mintShell(cfg)},
		CheckAnswer: func(ex *wire.Exchange) []string {
			return env.schema.Check(ex)
		},
		Log: func(format string, args ...any) { fmt.Fprintf(GinkgoWriter, format+"\n", args...) },
	}
	if cfg.Probe != "" {
		mc.Probe, _ = model.ParseProbe(cfg.Probe)
		mc.Script.Probe = mc.Probe
	}
	if cfg.SeedRandom {
		fmt.Fprintf(GinkgoWriter, "model: seed %d, drawn at random (--seed %d replays it)\n", cfg.Seed, cfg.Seed)
	}
	return model.Run(ctx, modelBackend{}, mc)
}

type modelBackend struct{}

func (modelBackend) Do(ctx context.Context, r wire.Request) *wire.Exchange {
	return env.client.Do(ctx, "MODEL", r)
}

func (modelBackend) Mint(ctx context.Context, user string) (string, error) {
	return env.tokens.Fresh(ctx, user)
}

func (modelBackend) Left(user string) int { return env.tokens.Remaining(user) }

// mintShell is the shell command of a history's logins: the token command
// as configured, or a curl to the token URL.
func mintShell(cfg Config) func(user string) string {
	if cfg.TokenCmd != "" {
		return func(user string) string { return "CONTRACT_USER=" + user + ` sh -c "$CONTRACT_TOKEN_CMD"` }
	}
	u := ""
	switch {
	case cfg.TokenURL != nil:
		u = cfg.TokenURL.String()
	default:
		u = env.client.URL(controlclient.SessionsPath)
	}
	return func(user string) string {
		return "curl -s -X POST " + shell.Quote(u) + ` -H 'Content-Type: application/json' --data '{"user":"` + user + `"}' | sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p'`
	}
}

// replayCommand is the one line that runs the same exploration again.
func replayCommand(seed uint64) string {
	cfg := env.cfg
	args := []string{}
	if cfg.Steps != 0 {
		args = append(args, fmt.Sprintf("--steps %d", cfg.Steps))
	}
	if cfg.DurabilityWait != DefaultDurabilityWait {
		args = append(args, "--durability-wait "+cfg.DurabilityWait.String())
	}
	if cfg.Probe != "" {
		args = append(args, "--probe "+shell.Quote(cfg.Probe))
	}
	if cfg.SessionsPerUser != DefaultSessionsPerUser {
		args = append(args, fmt.Sprintf("--sessions-per-user %d", cfg.SessionsPerUser))
	}
	if cfg.BaseURL == nil {
		env := []string{fmt.Sprintf("CONTRACT_SEED=%d", seed)}
		for _, a := range args {
			k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), " ")
			env = append(env, "CONTRACT_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))+"="+v)
		}
		return strings.Join(env, " ") + " go test ./contract -ginkgo.label-filter=model"
	}
	tok := `--token-cmd "$CONTRACT_TOKEN_CMD"`
	if cfg.TokenURL != nil {
		tok = "--token-url " + shell.Quote(displayURL(cfg.TokenURL.String()))
	}
	base := (&url.URL{Scheme: cfg.BaseURL.Scheme, Host: cfg.BaseURL.Host, Path: cfg.BaseURL.Path}).String()
	return strings.Join(append([]string{"revoke-contract --base-url " + shell.Quote(base), tok, fmt.Sprintf("--seed %d", seed)}, append(args, "--label-filter model")...), " ")
}
