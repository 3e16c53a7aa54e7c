# make check is the whole gate: CI runs it through .ci/run.
GO ?= go
PKGS := ./...

.PHONY: check fmt vet staticcheck test bench contracts build devnet screenshots

check: fmt vet staticcheck test bench contracts

build:
	$(GO) build -o bin/cocoon ./cmd/cocoon

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

test:
	$(GO) test -race -timeout 30m $(PKGS)

# Every benchmark once, so that none rots; figures come from -benchtime runs by hand.
bench:
	$(GO) test -run '^$$' -bench . -benchtime=1x -timeout 20m $(PKGS)

# The contract suite runs when the contracts are present.
contracts:
	@if [ -f contracts/package.json ]; then cd contracts && npm ci --no-audit --no-fund && npm test; else echo "no contracts/package.json: skipping the contract suite"; fi

# ARGS passes flags through: make devnet ARGS="--workers 2"
devnet: build
	./bin/cocoon devnet $(ARGS)

# The README's screenshots: the browser tests of internal/web write one of each page (needs chromium).
screenshots:
	COCOON_SCREENSHOTS=$(CURDIR)/docs/img $(GO) test -count=1 -run '^TestBrowser$$' ./internal/web/
