#!/usr/bin/env bash
# Builds the krew plugin archive (the launcher and the licence) byte-for-byte reproducibly and
# prints its sha256, which meshctl.yaml records. Usage: packaging/krew/archive.sh [OUT.tar.gz]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../dist/kubectl-meshctl.tar.gz}"
mkdir -p "$(dirname "$out")"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$here/kubectl-meshctl" "$stage/kubectl-meshctl"
install -m 0644 "$here/../../LICENSE" "$stage/LICENSE"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$stage" -cf - kubectl-meshctl LICENSE | gzip -9 -n >"$out"
sha256sum "$out" | cut -d' ' -f1
