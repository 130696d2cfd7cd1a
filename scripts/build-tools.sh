#!/usr/bin/env bash
# Builds the pinned tools from the Go module proxy, each from its own tools
# module (tools/NAME) so their dependencies never mix with the application's:
# the Temporal CLI (dev server + Web UI), MinIO, workflowcheck, the local
# OpenID Connect provider of `make run` and the tests (tools/oidcprovider, a
# small program on zitadel/oidc), promtool (alert rule checks and unit tests),
# helm (chart rendering), and the Temporal server in its production form with
# its SQL schema tool and the standalone Web UI (`make cluster`). A binary is
# rebuilt only when its module's files change (a stamp beside it).
#
# Arguments name the binaries to build (default: all of them), e.g.
# `scripts/build-tools.sh helm promtool`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

build() { # name package [module dir] [toolchain]
  local name=$1 pkg=$2 dir="$root/tools/${3:-$1}" toolchain=${4:-}
  if [[ ${#wanted[@]} -gt 0 && ! " ${wanted[*]} " == *" $name "* ]]; then
    return
  fi
  local stamp
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" $(find "$dir" -name '*.go' | sort) | sha256sum | cut -c1-16)
  if [[ -x "$bin/$name" && "$(cat "$bin/$name.stamp" 2>/dev/null)" == "$stamp" ]]; then
    return
  fi
  echo "building $name ($pkg) from the Go module proxy; the first build takes a few minutes ..." >&2
  local start=$SECONDS
  # A module that needs a newer Go than the machine's names it; the go
  # command fetches that toolchain through the module proxy.
  (cd "$dir" && GOTOOLCHAIN=${toolchain:-${GOTOOLCHAIN:-local}} CGO_ENABLED=0 go build -trimpath -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" > "$bin/$name.stamp"
  echo "built $name in $((SECONDS - start)) s" >&2
}

wanted=("$@")

build temporal github.com/temporalio/cli/cmd/temporal
build minio github.com/minio/minio
build workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck
build oidcprovider .
build promtool github.com/prometheus/prometheus/cmd/promtool
build helm helm.sh/helm/v4/cmd/helm
# Temporal server v1.32 needs Go 1.26.10 (its go.mod says so).
build temporal-server go.temporal.io/server/cmd/server temporal-server go1.26.10
build temporal-sql-tool go.temporal.io/server/cmd/tools/sql temporal-server go1.26.10
# The Temporal Web UI on its own, pointed at the production-form frontend
# (the CLI's dev server embeds the same UI server).
build temporal-ui github.com/temporalio/ui-server/v2/cmd/server
