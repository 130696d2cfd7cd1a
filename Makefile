# The two commands of the README: `make run` (everything, locally) and
# `make test` (every test, on real PostgreSQL, Temporal and MinIO).
GO      ?= go
BIN     := .bin/esenzioni
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: run test tools build vet bench clean

run: tools build
	./$(BIN) dev

test: tools build
	./scripts/test.sh

# The pinned Temporal CLI and MinIO server, built once from the Go module
# proxy (tools/*/go.mod) and reused afterwards.
tools:
	./scripts/build-tools.sh

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/esenzioni

vet:
	$(GO) vet ./...

bench: tools build
	./$(BIN) bench

clean:
	rm -rf .bin
