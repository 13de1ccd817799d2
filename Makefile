# snapflow — every target installs what it needs first, idempotently.
SHELL := /bin/bash
GO    ?= go
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: all deps test lint vet fmt localaws clean

all: test

## deps: download Go modules (idempotent).
deps:
	$(GO) mod download

## test: everything `go test` runs, after installing what it needs.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

## lint: formatting, vet and a tidy go.mod.
lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

fmt:
	gofmt -w $$(git ls-files '*.go')

## localaws: serve the local AWS on 127.0.0.1:4566 (SEED=file.json SPEED=60).
SEED  ?=
SPEED ?= 1
localaws: deps
	$(GO) run ./cmd/localaws --addr 127.0.0.1:4566 --speed $(SPEED) $(if $(SEED),--seed $(SEED))

clean:
	rm -rf bin build cdk.out
