#!/bin/sh
# One-shot run by the temporal-admin-tools service: registers the custom search
# attributes esenzioni's workflows use. Idempotent: an attribute that already
# exists with the same type is fine; one that exists with another type is an
# error. The app registers them at start-up too; this is belt and braces.
set -eu

address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"

# name:type, one per attribute.
ATTRIBUTES="
PracticeState:Keyword
AslCode:Keyword
ExemptionCode:Keyword
PracticeNumber:Keyword
RecordKind:Keyword
ExemptionState:Keyword
EndDate:Datetime
SubmittedAt:Datetime
StateSince:Datetime
RegistryPending:Bool
"

# auto-setup creates the namespace in the background once the server answers,
# so the server being healthy does not mean the namespace exists yet.
attempt=0
until temporal operator search-attribute list --address "$address" --namespace "$namespace" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 90 ]; then
    echo "namespace '$namespace' not ready at $address after $attempt attempts" >&2
    exit 1
  fi
  echo "waiting for namespace '$namespace' at $address ..."
  sleep 2
done

for attr in $ATTRIBUTES; do
  name="${attr%%:*}"
  type="${attr#*:}"
  if out=$(temporal operator search-attribute create --address "$address" --namespace "$namespace" \
      --name "$name" --type "$type" 2>&1); then
    echo "registered $name ($type)"
  elif printf '%s' "$out" | grep -qi 'different type'; then
    printf '%s\n' "$out" >&2
    exit 1
  elif printf '%s' "$out" | grep -qi 'already exists'; then
    echo "$name ($type) already registered"
  else
    printf '%s\n' "$out" >&2
    exit 1
  fi
done

temporal operator search-attribute list --address "$address" --namespace "$namespace"
