# vendorsim developer targets. `make` (or `make help`) lists them.

GO               ?= go
BIN              ?= bin/vendorsim
VERSION          ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS          := -X main.version=$(VERSION)
STATICCHECK      ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
RUN_ARGS         ?= --config examples/vendorsim.yaml
IMAGE            ?= vendorsim:local

.DEFAULT_GOAL := help

.PHONY: help build run test race vet fmt lint bench load docker ci

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/vendorsim with the version from git describe
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vendorsim

run: build ## Build and run vendorsim on :8080 (RUN_ARGS=... to change flags)
	./$(BIN) $(RUN_ARGS)

test: ## Run the tests
	$(GO) test ./...

race: ## Run the tests with the race detector
	$(GO) test -race ./...

vet: ## Run go vet
	$(GO) vet ./...

fmt: ## Check that gofmt has nothing to change
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		files="$$(git ls-files -z --cached --others --exclude-standard -- '*.go' | xargs -0 -r gofmt -l)"; \
	else \
		files="$$(find . -name '*.go' -not -path './.git/*' -print0 | xargs -0 -r gofmt -l)"; \
	fi; \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi

lint: ## Run staticcheck (pinned version)
	$(GO) run $(STATICCHECK) ./...

bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

load: ## Build bin/vendorsim, start it on a free port and load-test it (DURATION, CONCURRENCY)
	scripts/load.sh

docker: ## Build the container image vendorsim:local
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

ci: ## Run the CI script
	.ci/run
