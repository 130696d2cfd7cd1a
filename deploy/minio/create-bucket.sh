#!/bin/sh
# One-shot run by the minio-init service (same image as minio, which ships the
# mc client): creates the application's bucket if it does not exist yet.
set -eu

: "${MINIO_ROOT_USER:?}"
: "${MINIO_ROOT_PASSWORD:?}"
: "${S3_BUCKET:?}"
endpoint="${MINIO_ENDPOINT:-http://minio:9000}"

attempt=0
until mc alias set esenzioni "$endpoint" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 30 ]; then
    echo "MinIO not reachable at $endpoint" >&2
    exit 1
  fi
  sleep 2
done

mc mb --ignore-existing "esenzioni/$S3_BUCKET"
