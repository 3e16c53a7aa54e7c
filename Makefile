# make check is the whole gate: CI runs it through .ci/run.
GO ?= go
PKGS := ./...

.PHONY: check fmt vet staticcheck deadcode test bench contracts sdk-deps build devnet screenshots

# sdk-deps comes before test: internal/devnet's TestOpenAINodeSDK runs
# OpenAI's Node SDK (examples/node) against a devnet, and cmd/cocoon's
# TestFirstHour its chat conformance test (examples/node/chat.test.mjs).
check: fmt vet staticcheck deadcode sdk-deps test bench contracts

# The version and revision come from git, so that a binary built from a
# clone says which one it is (cocoon --version).
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -X main.buildVersion=$(VERSION) -X main.buildRevision=$(REVISION)

build:
	@if [ ! -x bin/cocoon ]; then echo "building bin/cocoon: the first build fetches and compiles the dependencies, about 3 minutes on 2 cores; later builds take seconds"; else echo "building bin/cocoon"; fi
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/cocoon ./cmd/cocoon

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

# Every function is reached from a main package (the binary, tlgen, the
# examples): what only tests use lives in a _test.go file or in a
# test-helper package (attesttest, storetest, tontest, gguftest, ...).
MAINS = $(shell $(GO) list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' $(PKGS))
deadcode:
	@out=$$($(GO) tool deadcode $(MAINS) 2>&1); if [ -n "$$out" ]; then echo "deadcode: functions no main package reaches (delete them, or move what only tests use into a _test.go file or a test-helper package):"; echo "$$out"; exit 1; fi

test:
	$(GO) test -race -timeout 30m $(PKGS)

# Every benchmark once, so that none rots; figures come from -benchtime runs by hand.
bench:
	$(GO) test -run '^$$' -bench . -benchtime=1x -timeout 20m $(PKGS)

# OpenAI's Node SDK, pinned by examples/node/package-lock.json.
sdk-deps:
	cd examples/node && npm ci --no-audit --no-fund

# The contract suite runs when the contracts are present.
contracts:
	@if [ -f contracts/package.json ]; then cd contracts && npm ci --no-audit --no-fund && npm test; else echo "no contracts/package.json: skipping the contract suite"; fi

# ARGS passes flags through: make devnet ARGS="--workers 2"
devnet: build
	./bin/cocoon devnet $(ARGS)

# The README's screenshots: the browser tests of internal/web write one of each page (needs chromium).
screenshots:
	COCOON_SCREENSHOTS=$(CURDIR)/docs/img $(GO) test -count=1 -run '^TestBrowser$$' ./internal/web/
