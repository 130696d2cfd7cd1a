# Container image for the esenzioni binary (web, worker, migrate, import, demo).
#
#   docker build -t esenzioni:local .
#   docker compose up            # see docker-compose.yml
#
# Build stage: compiled on the build platform and cross-compiled for the
# target one, so multi-arch builds (docker buildx --platform ...) stay fast.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build

WORKDIR /src

# Dependencies first, so editing the source does not invalidate this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

ARG TARGETOS
ARG TARGETARCH
# Printed by `esenzioni version`.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$VERSION" \
      -o /out/esenzioni ./cmd/esenzioni

# Runtime stage: a small Debian rather than distroless because the compose
# `migrate` one-shot chains three subcommands with /bin/sh. The binary itself
# is static (CGO_ENABLED=0).
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 esenzioni \
 && useradd --system --uid 10001 --gid esenzioni --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin esenzioni

COPY --from=build /out/esenzioni /esenzioni

# Listen on every interface inside the container; the default
# (localhost:8080) would not be reachable through a published port.
ENV HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080

USER 10001:10001

# Meaningful for `web` only; compose overrides it for the worker and disables
# it for the one-shots. `esenzioni healthcheck URL` exits 0 when URL answers 200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/esenzioni", "healthcheck", "http://localhost:8080/healthz"]

ENTRYPOINT ["/esenzioni"]
CMD ["web"]
