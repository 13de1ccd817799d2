# snapflow — every target installs what it needs first, idempotently.
SHELL := /bin/bash
GO    ?= go
export CDK_DISABLE_CLI_TELEMETRY := true

# The Lambda handlers: functions/<name>/main.go each.
FUNCTIONS := plan create poll copy export verify prune summary
BUILD_DIR := build/functions
# arm64 provided.al2023 by default; `make build GOARCH=amd64` for native local runs.
LAMBDA_GOARCH ?= arm64

.PHONY: all deps node-deps demo bench reliability test fuzz lint vet fmt build synth deploy localaws clean

all: test

## deps: download Go modules (idempotent).
deps:
	$(GO) mod download

## node-deps: the pinned aws-cdk CLI, Node 22 and aws-local-stepfunctions from
## package-lock.json (idempotent). node_modules/go.mod makes node_modules a
## module of its own, so ./... skips the Go templates that aws-cdk ships.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@
node-deps: node_modules/.package-lock.json
	@[ -f node_modules/go.mod ] || echo 'module ignored/node_modules' > node_modules/go.mod

## build: one bootstrap per function, zipped into build/functions/<name>.zip.
build: deps
	@mkdir -p $(BUILD_DIR)
	@for f in $(FUNCTIONS); do \
	  if [ ! -f functions/$$f/main.go ]; then echo "skip $$f (no functions/$$f/main.go yet)"; continue; fi; \
	  mkdir -p $(BUILD_DIR)/$$f && \
	  GOOS=linux GOARCH=$(LAMBDA_GOARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o $(BUILD_DIR)/$$f/bootstrap ./functions/$$f || exit 1; \
	  (cd $(BUILD_DIR)/$$f && rm -f ../$$f.zip && $(GO) run ../../../cmd/zipbootstrap ../$$f.zip bootstrap) || exit 1; \
	  printf '%-10s %8d bytes\n' $$f $$(stat -c %s $(BUILD_DIR)/$$f.zip); \
	done

## test: everything `go test` runs, after installing what it needs, then
## each fuzz target briefly (FUZZTIME per target).
## The end-to-end tests run the synthesized template (cdk.out) on the local
## engine (node_modules: Node 22, aws-local-stepfunctions).
FUZZTIME ?= 10s
test: deps node-deps synth
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 60m ./...
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

## fuzz: only the fuzz targets, longer (FUZZTIME=5m make fuzz).
fuzz: deps
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

## demo: snapflow end to end on this machine: the synthesized state machines
## on the local engine, the real handlers, the local AWS with a fleet.
NATIVE_GOARCH := $(shell $(GO) env GOARCH)
demo: deps node-deps
	$(MAKE) synth LAMBDA_GOARCH=$(NATIVE_GOARCH)
	$(GO) run ./cmd/snapflow-local demo

## bench: orchestration cost, cold starts and fan-out on the local runner;
## writes bench/report.md and bench/report.json (BENCH_FANOUT_MAX=2000 for the big fleet).
bench: deps node-deps synth
	$(GO) run ./cmd/bench

## reliability: the fault matrix on the local runner; writes docs/reliability.md.
reliability: deps node-deps synth
	$(GO) run ./cmd/reliability

## synth: write the CloudFormation template to cdk.out/ (offline).
synth: build node-deps
	npx cdk synth --quiet

## deploy: bootstrap-aware cdk deploy (needs AWS credentials).
deploy: build node-deps
	npx cdk bootstrap && npx cdk deploy --require-approval broadening

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
	rm -rf build cdk.out
