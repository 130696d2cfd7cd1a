# The two commands of the README: `make run` (everything, locally) and
# `make test` (every test, on real PostgreSQL, Temporal and MinIO).
GO      ?= go
BIN     := .bin/esenzioni
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: run test tools cluster-tools cluster cluster-test build vet bench clean

run: tools build
	./$(BIN) dev

test: tools build
	./scripts/test.sh

# The pinned tools the tests and `make run` need (Temporal CLI, MinIO,
# workflowcheck, promtool, helm), built once from the Go module proxy
# (tools/*/go.mod) and reused afterwards.
tools:
	./scripts/build-tools.sh temporal minio workflowcheck oidcprovider promtool helm

# The Temporal server in its production form, its SQL schema tool and the
# standalone Temporal UI (several minutes the first time).
cluster-tools: tools
	./scripts/build-tools.sh temporal-server temporal-sql-tool temporal-ui

# The production form on this machine: Temporal frontend, history x2,
# matching and worker processes on PostgreSQL, two web and two worker
# processes, MinIO, the Temporal UI (README, "Production").
cluster: cluster-tools build
	./$(BIN) cluster

# Crash test of the production form: load through both web replicas, kill a
# worker and a history process, check nothing is lost or doubled; the other
# cluster-tagged tests too (worker versioning, the Temporal UI's login).
cluster-test: cluster-tools
	go test -tags cluster -count=1 -timeout 30m -v ./internal/clustertest/

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/esenzioni

vet:
	$(GO) vet ./...

bench: tools build
	./$(BIN) bench

clean:
	rm -rf .bin
