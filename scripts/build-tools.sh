#!/usr/bin/env bash
# Builds the pinned Temporal CLI (dev server + Web UI) and MinIO server from
# the Go module proxy, each from its own tools module (tools/temporal,
# tools/minio) so their dependencies never mix with the application's, and
# the local OpenID Connect provider of `make run` and the tests
# (tools/oidcprovider, a small program on zitadel/oidc). A binary is rebuilt
# only when its module's files change (a stamp beside it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

build() { # name package
  local name=$1 pkg=$2 dir="$root/tools/$1"
  local stamp
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" $(find "$dir" -name '*.go' | sort) | sha256sum | cut -c1-16)
  if [[ -x "$bin/$name" && "$(cat "$bin/$name.stamp" 2>/dev/null)" == "$stamp" ]]; then
    return
  fi
  echo "building $name ($pkg) from the Go module proxy; the first build takes a few minutes ..." >&2
  local start=$SECONDS
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" > "$bin/$name.stamp"
  echo "built $name in $((SECONDS - start)) s" >&2
}

build temporal github.com/temporalio/cli/cmd/temporal
build minio github.com/minio/minio
build workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck
build oidcprovider .
