# Every target works on a fresh machine with Go and Node/npm: tools the
# targets need (npm packages pinned in tools/package-lock.json, staticcheck)
# are installed on first use. docs/testing.md says what `make test` runs,
# how long each part takes and the rules for adding a test.
SHELL       := bash
GO          ?= go
NPM         ?= npm
TOOLS_BIN   := $(CURDIR)/tools/node_modules/.bin
GOBIN_DIR   := $(CURDIR)/.bin
STATICCHECK_VERSION := v0.8.2
FUZZTIME    ?= 30s

# -trimpath for every go command (the tests', vet's, the test binaries'):
# without it the build cache's keys hold the clone's folder, and a fresh
# clone compiles every package of this module again though the cache is
# warm. With it a fresh clone reuses what any other clone compiled.
export GOFLAGS := $(strip $(filter-out -trimpath,$(GOFLAGS)) -trimpath)

# The contract suite's variables (see README): passed through when set.
export CONTRACT_BASE_URL CONTRACT_TOKEN_CMD CONTRACT_TOKEN_URL CONTRACT_TOKEN \
       CONTRACT_TIMEOUT CONTRACT_STRICT CONTRACT_SPEC CONTRACT_JUNIT CONTRACT_JSON CONTRACT_HTML \
       CONTRACT_WAIT_FOR CONTRACT_SESSIONS_PER_USER CONTRACT_CA_CERT CONTRACT_CLIENT_CERT \
       CONTRACT_CLIENT_KEY CONTRACT_HEADERS CONTRACT_LABEL_FILTER CONTRACT_FOCUS \
       CONTRACT_SEED CONTRACT_STEPS CONTRACT_DURABILITY_WAIT CONTRACT_PROBE

.PHONY: pgo long release-check js-check js-types spec-diff screenshots mock test vet govet tidy staticcheck lint unit unit-race unit-plain test-bins contract bench fuzz npm-tools soak race dist npm image

## mock: the mock server on 127.0.0.1:4010 (MOCK_FLAGS="--sessions issued" ...)
mock:
	$(GO) build -o $(GOBIN_DIR)/revoke-mock ./mockserver/cmd/revoke-mock
	exec $(GOBIN_DIR)/revoke-mock $(MOCK_FLAGS)

## test: everything the README promises, as one graph of parallel steps:
## go vet (which compiles everything the other Go steps need) beside the
## downloads (go mod tidy -diff, the npm tools, the staticcheck install)
## and the race-checked packages (their instrumented build shares nothing
## with vet's); staticcheck and the other tests (-short) as soon as vet is
## done, the spec lint as soon as the npm tools are there. Two go commands
## that compile the same packages never run at once (each would do the
## work). .ci/run runs the rest after it (docs/testing.md).
test:
	@rm -f $(SKIP_LOG)
	@$(MAKE) --no-print-directory -j4 --output-sync=line IN_MAKE_TEST=1 govet tidy npm-tools unit-race staticcheck lint spec-diff unit-plain; rc=$$?; $(REPORT_SKIPS); exit $$rc

# Within make test only: what reuses vet's compiled packages waits for it
# (alone, make staticcheck or make unit-plain need no vet first).
ifeq ($(IN_MAKE_TEST),1)
staticcheck test-bins: | govet
endif

## vet: gofmt, go vet and go mod tidy -diff
vet: govet tidy

govet:
	@test -z "$$(gofmt -l . | grep -v '^tools/node_modules/')" || { echo "gofmt would change:"; gofmt -l . | grep -v '^tools/node_modules/'; exit 1; }
	$(GO) vet ./...

tidy:
	$(GO) mod tidy -diff

STATICCHECK := $(GOBIN_DIR)/staticcheck-$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

$(STATICCHECK):
	GOBIN=$(GOBIN_DIR) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(GOBIN_DIR)/staticcheck $@

npm-tools: tools/node_modules/.installed

# tools/npm-tools.sh: npm ci once per lockfile and machine, into a cache
# that every clone links to (a fresh clone would wait a minute for npm ci).
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	NPM=$(NPM) tools/npm-tools.sh
	touch $@

## lint: Spectral (spectral:oas) and Redocly (recommended), no error and no warning
lint: npm-tools
	tools/lint-spec.sh spec/openapi.yaml

# The packages with concurrency of their own (the mock's session store and
# request log, the suite's client, tokens and redactor, ...) run under the
# race detector. They depend on the standard library alone, so -race costs
# one instrumented build of it (~40 s on a new machine) instead of one of
# the OpenAPI libraries (~6 minutes). Everything else runs without it.
# mockserver/redisstore is the exception: it depends on go-redis (small,
# with two dependencies of its own), whose instrumented build is some
# seconds; its locks and atomics guard what every request touches.
RACE_PKGS := ./internal/... ./contract/internal/... ./mockserver/store ./mockserver/reqlog ./mockserver/controlclient ./mockserver/scenario ./mockserver/journal ./mockserver/reload ./mockserver/netlimit ./mockserver/redisstore ./tools/gotest

# Programs the tests start as subprocesses, built once, like any `go build`.
TEST_BIN := $(GOBIN_DIR)/test
SKIP_LOG := $(GOBIN_DIR)/skipped-checks.log

# CONTRACT_* from the caller's shell are cleared so that this always tests
# the mock; missing tools are logged to SKIP_LOG (see internal/testenv).
UNIT_ENV := env $(foreach v,BASE_URL TOKEN_CMD TOKEN_URL TOKEN SPEC JUNIT JSON HTML WAIT_FOR SESSIONS_PER_USER \
	CA_CERT CLIENT_CERT CLIENT_KEY HEADERS LABEL_FILTER FOCUS TIMEOUT SEED STEPS DURABILITY_WAIT PROBE,-u CONTRACT_$(v)) -u REVOKE_DOCS_SCREENSHOTS CONTRACT_STRICT=1 PATH="$(TOOLS_BIN):$$PATH" \
	REVOKE_TEST_BINDIR=$(TEST_BIN) REVOKE_SKIP_LOG=$(SKIP_LOG)

# Prints the checks skipped for a missing tool, if any.
REPORT_SKIPS = if [ -s $(SKIP_LOG) ]; then \
	  printf '\n*** %s checks were SKIPPED because a tool is missing (REVOKE_REQUIRE_TOOLS=1 makes each a failure):\n' "$$(wc -l <$(SKIP_LOG))"; \
	  cat $(SKIP_LOG); echo; fi

## unit: the Go tests: the race-checked packages with -race, the rest
## (the contract suite against the in-process mock in strict mode, the
## suite's broken backends, the browser and Prism checks) without; every
## check skipped for a missing tool is listed at the end.
unit:
	@rm -f $(SKIP_LOG)
	@$(MAKE) --no-print-directory -j2 --output-sync=line unit-race unit-plain; rc=$$?; $(REPORT_SKIPS); exit $$rc

# tools/gotest is go test, but the test binaries are linked in a cache
# folder outside the clone, where the next run (of any clone) finds them up
# to date: go test links every one again on every run (~60 s of CPU here).
# $(call GOTEST,NAME): one folder per configuration.
GOTEST_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/revoke-contract/gotest
GOTEST = $(GO) run ./tools/gotest -bin $(GOBIN_DIR)/gotest/$(1) -cache $(GOTEST_CACHE)/$(1)

unit-race:
	$(UNIT_ENV) $(call GOTEST,race) -race -timeout 10m $(RACE_PKGS)
	$(UNIT_ENV) $(call GOTEST,store) -timeout 5m ./mockserver/store -- -run '^TestRevokedNeverComesBack$$'

# -short: the tests that cost more than a few seconds and check nothing a
# README promise needs beyond their shortened form run in full in .ci/run
# (make long, make release-check, make race); docs/testing.md lists them.
# -p: go test runs this many packages at once (default: the CPUs). Many of
# them mostly wait (a browser, Prism, subprocesses, timeouts), so 4 keep two
# cores busy where 2 left them idle between the long packages.
UNIT_P ?= 4
# The longest packages start first, so that none of them is left alone at
# the end.
UNIT_FIRST := contract/teeth,e2e,tools/lintcheck,e2e/replicas,mockserver

unit-plain: npm-tools test-bins
	$(UNIT_ENV) $(call GOTEST,plain) -p $(UNIT_P) -timeout 15m -first $(UNIT_FIRST) $$($(GO) list ./... | grep -vxFf <($(GO) list $(RACE_PKGS))) -- -short

# Built with the tests' own configuration (go vet's), so they reuse what it
# compiled: a new machine compiles every package once. What ships (static,
# -trimpath, stamped) is make dist's, checked by make release-check.
test-bins:
	$(GO) build -o $(TEST_BIN)/ ./mockserver/cmd/revoke-mock ./contract/cmd/revoke-contract

## dist: release binaries for every platform, with SHA256SUMS (make dist VERSION=v0.4.0)
dist:
	VERSION=$(VERSION) GO=$(GO) tools/dist.sh

## image: the revoke-mock container image with buildah (after make dist)
image:
	VERSION=$(VERSION) tools/image.sh

## npm: the npm packages (npm/) from dist/, the version stamped in (after make dist)
npm:
	VERSION=$(VERSION) tools/npm.sh

## js-check: the npm packages as frontend teams get them (tools/js-check.sh):
## packed tarballs in an empty project with examples/, tsc --noEmit, the
## Vitest and Playwright examples (Chromium), revoke-contract --strict
## against the MSW handlers, npx revoke-contract --version. Slow (a big npm
## install, a browser): .ci/run runs it after make test, make test does not.
js-check:
	GO=$(GO) tools/js-check.sh

## js-types: regenerate what npm/revoke-mock derives from the spec
## (lib/openapi.json, lib/openapi.d.ts with openapi-typescript from examples/)
js-types:
	$(GO) run ./tools/jsgen
	cd examples && $(NPM) ci --no-audit --no-fund --ignore-scripts
	{ $(GO) run ./tools/jsgen -hash && examples/node_modules/.bin/openapi-typescript npm/revoke-mock/lib/openapi.json; } > npm/revoke-mock/lib/openapi.d.ts.new
	mv npm/revoke-mock/lib/openapi.d.ts.new npm/revoke-mock/lib/openapi.d.ts

## spec-diff: spec/openapi.yaml against the last released contract
## (spec/baseline/openapi.yaml): fails on a change that breaks clients;
## accepting one means a new baseline and a line in spec/CHANGELOG.md
spec-diff: test-bins
	$(TEST_BIN)/revoke-contract diff spec/baseline/openapi.yaml spec/openapi.yaml

## contract: the contract suite, as the revoke-contract binary runs it, with its
## exit status; honours CONTRACT_* (make contract CONTRACT_BASE_URL=... CONTRACT_TOKEN_CMD=...)
contract:
	$(GO) build -o $(GOBIN_DIR)/revoke-contract ./contract/cmd/revoke-contract
	exec $(GOBIN_DIR)/revoke-contract $(CONTRACT_FLAGS)

## screenshots: regenerate the README's screenshots, docs/dashboard.png and
## docs/contract-report.png, with the browser tests that check them (needs
## Chromium and curl). make test never writes them: it saves its screenshots
## in temporary folders.
screenshots: test-bins
	$(UNIT_ENV) REVOKE_DOCS_SCREENSHOTS=$(CURDIR)/docs REVOKE_REQUIRE_TOOLS=1 \
	  $(GO) test -count=1 -timeout 5m -run 'TestBrowser/(dashboard:_curl|HTML_report)' ./e2e

## soak: the mock's memory over a million distinct tokens, and the hostile
## table (docs/reliability.md); 10 000 connections need the raised ulimit -n
soak:
	ulimit -n $$(ulimit -Hn) && $(GO) run ./bench/cmd/soak

## race: the race detector over every package with concurrency of its own
## that make test runs without it (make test races RACE_PKGS); .ci/run runs it
RACE_EXTRA := ./mockserver ./mockserver/cmd/revoke-mock ./contract ./contract/teeth ./spec ./tools/prismrun
race: npm-tools test-bins
	$(UNIT_ENV) $(GO) test -race -short -count=1 -timeout 20m $(RACE_EXTRA)

## long: in full, the tests make test runs with -short (a policy test keeps
## this list complete); .ci/run runs it
LONG_TESTS := TestImportedByAnotherModule|TestBuild|TestModelIsDeterministic|TestModelIsFairToCorrectBackends|TestVerdictIsSteady|TestModelIsFairToTheMock
long: test-bins
	$(UNIT_ENV) $(GO) test -count=1 -timeout 20m -run '^($(LONG_TESTS))$$' ./contract/runner ./contract/teeth

## release-check: every release channel as a user gets it (tools/release):
## every platform's build, the npm tarballs and npx, go install through a
## local module proxy, the container image with buildah, the GitHub
## Action's steps (make test only checks dist.sh refuses a bad version);
## .ci/run runs this
release-check: test-bins
	$(UNIT_ENV) $(GO) test -count=1 -timeout 20m ./tools/release

## pgo: the CPU profile release builds of revoke-mock are optimised with
## (mockserver/cmd/revoke-mock/revoke-mock.pgo; needs wrk): take it again
## after a change to the request path
pgo:
	$(GO) run ./bench/cmd/pgo

## fuzz: explore every fuzz target for FUZZTIME (make test runs only their seeds)
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) tools/fuzz.sh

## bench: Go benchmarks and the load comparison, printed as ratios
bench: npm-tools
	$(GO) test -run '^$$' -bench . -benchmem ./...
	PATH="$(TOOLS_BIN):$$PATH" $(GO) run ./bench/cmd/loadcompare
	$(GO) run ./bench/cmd/proxylatency
