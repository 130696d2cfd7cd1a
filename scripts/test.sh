#!/usr/bin/env bash
# Runs every test: unit tests, workflow tests (SDK test suite, replay), and
# integration and browser tests against ONE PostgreSQL, ONE Temporal dev
# server and ONE MinIO started for the whole run by `esenzioni testenv` and
# stopped afterwards. Extra arguments go to `go test` (e.g. -run Foo ./web/...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

./scripts/install-deps.sh
go vet ./...
# Workflow code must be deterministic (no map iteration, time.Now, ...).
./.tools/bin/workflowcheck ./workflows/...

# Every date an operator sees is Europe/Rome's, whatever the machine's zone:
# the tests run in a zone 13-14 hours away from Rome, so that any "today"
# taken from the machine's clock zone fails on every run, not one hour a
# night. ESENZIONI_TEST_TZ overrides it (e.g. to try Europe/Rome itself).
export TZ="${ESENZIONI_TEST_TZ:-Pacific/Kiritimati}"

pkgs=("$@")
[[ ${#pkgs[@]} -eq 0 ]] && pkgs=(./...)
start=$SECONDS
# Always the binary of this tree: its migrations build the test template.
go build -o .bin/esenzioni ./cmd/esenzioni
./.bin/esenzioni testenv -- go test -count=1 -timeout 30m "${pkgs[@]}"

# The deployment checks (compose file, Helm chart, alert rules, dashboard)
# live in their own module (deploy/go.mod) and need no running service; with
# no arguments they run too. -mod=mod: the module follows the application's
# go.mod through a replace directive, so its go.sum is completed on the fly
# when the application gains a dependency.
if [[ $# -eq 0 ]]; then
  (cd deploy && GOFLAGS="${GOFLAGS:-} -mod=mod" go vet ./... && GOFLAGS="${GOFLAGS:-} -mod=mod" go test -count=1 ./...)
fi
echo "tests passed in $((SECONDS - start)) s" >&2
