#!/usr/bin/env bash
# Builds the real control plane the test suites run against — kube-apiserver and etcd — and
# kubectl, from the modules pinned in go.mod/go.sum, with the machine's Go (no toolchain
# download, no cgo). The binaries are cached by the hash of go.sum, so a second build is a
# no-op. Prints the directory holding the binaries on its last line.
#   bash test/kube/build.sh            # build if missing
#   bash test/kube/build.sh --print-dir   # where they are (or would be); builds nothing
#   KUBE_BIN_CACHE=/some/dir bash test/kube/build.sh
set -euo pipefail
cd "$(dirname "$0")"
command -v go >/dev/null 2>&1 || { echo "build.sh: Go is not installed (the real cluster needs Go >= $(sed -n 's/^go //p' go.mod))" >&2; exit 3; }
# The cache key: go.sum, plus a generation to bump when the build flags below change.
key="$( (cat go.sum; echo "flags-1") | sha256sum | cut -c1-16)"
out="${KUBE_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/occupier-operator/kube}/${key}"
if [ "${1:-}" = --print-dir ]; then echo "$out"; exit 0; fi
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ]; then
  echo "real control plane: cached in $out" >&2
  echo "$out"
  exit 0
fi
# One build at a time per cache entry (vitest projects, helpers and CI may all ask at once).
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ]; then
  echo "real control plane: built meanwhile by another process, in $out" >&2
  echo "$out"
  exit 0
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=mod -trimpath"
kube_version="$(sed -n 's#^require k8s.io/kubernetes \(v.*\)#\1#p; s#^\tk8s.io/kubernetes \(v[^ ]*\)$#\1#p' go.mod | head -1)"
etcd_version="$(sed -n 's#^\tgo.etcd.io/etcd/server/v3 \(v[^ ]*\).*#\1#p' go.mod | head -1)"
vpkg=k8s.io/component-base/version
kube_ldflags="-s -w -X $vpkg.gitVersion=$kube_version -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$(echo "$kube_version" | cut -d. -f2) -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
start=$(date +%s)
echo "real control plane: building kube-apiserver $kube_version, etcd $etcd_version, kubectl ($(go version | cut -d' ' -f3)) into $out" >&2
go build -ldflags="-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
go build -ldflags="$kube_ldflags" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -ldflags="$kube_ldflags" -o "$out.tmp/kubectl" k8s.io/kubernetes/cmd/kubectl
rm -rf "$out" && mv "$out.tmp" "$out"
echo "real control plane: built in $(( $(date +%s) - start )) s (Go build cache: $(go env GOCACHE))" >&2
echo "$out"
