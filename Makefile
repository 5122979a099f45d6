# Every target works on a fresh machine with Go and Node/npm: tools the
# targets need (npm packages pinned in tools/package-lock.json, staticcheck)
# are installed on first use.
GO          ?= go
NPM         ?= npm
TOOLS_BIN   := $(CURDIR)/tools/node_modules/.bin
GOBIN_DIR   := $(CURDIR)/.bin
STATICCHECK_VERSION := v0.8.2

# The contract suite's variables (see README): passed through when set.
export CONTRACT_BASE_URL CONTRACT_TOKEN_CMD CONTRACT_TOKEN CONTRACT_TIMEOUT \
       CONTRACT_STRICT CONTRACT_SPEC CONTRACT_JUNIT

.PHONY: mock test unit vet staticcheck lint contract bench npm-tools

## mock: the mock server on 127.0.0.1:4010 (MOCK_FLAGS="--sessions issued" ...)
mock:
	$(GO) build -o $(GOBIN_DIR)/revoke-mock ./mockserver/cmd/revoke-mock
	exec $(GOBIN_DIR)/revoke-mock $(MOCK_FLAGS)

## test: everything CI checks
test: vet staticcheck lint unit

vet:
	@test -z "$$(gofmt -l . | grep -v '^tools/node_modules/')" || { echo "gofmt would change:"; gofmt -l . | grep -v '^tools/node_modules/'; exit 1; }
	$(GO) vet ./...

STATICCHECK := $(GOBIN_DIR)/staticcheck-$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

$(STATICCHECK):
	GOBIN=$(GOBIN_DIR) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(GOBIN_DIR)/staticcheck $@

npm-tools: tools/node_modules/.installed

tools/node_modules/.installed: tools/package.json tools/package-lock.json
	cd tools && $(NPM) ci --no-audit --no-fund --ignore-scripts
	touch $@

## lint: Spectral (spectral:oas) and Redocly (recommended), no error and no warning
lint: npm-tools
	tools/lint-spec.sh spec/openapi.yaml

## unit: unit tests, the contract suite against the in-process mock (strict),
## the suite's broken backends, the browser and Prism checks; with -race.
## CONTRACT_* from the caller's shell are cleared so this always tests the mock.
unit: npm-tools
	env -u CONTRACT_BASE_URL -u CONTRACT_TOKEN_CMD -u CONTRACT_TOKEN -u CONTRACT_SPEC -u CONTRACT_JUNIT \
	    CONTRACT_STRICT=1 PATH="$(TOOLS_BIN):$$PATH" $(GO) test -race -count=1 -timeout 20m ./...

## contract: the contract suite; honours CONTRACT_* (make contract CONTRACT_BASE_URL=...)
contract:
	$(GO) test -count=1 -timeout 30m -v ./contract

## bench: Go benchmarks and the load comparison, printed as ratios
bench: npm-tools
	$(GO) test -run '^$$' -bench . -benchmem ./...
	PATH="$(TOOLS_BIN):$$PATH" $(GO) run ./bench/cmd/loadcompare
