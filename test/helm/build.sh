#!/usr/bin/env bash
# Builds the helm the chart tests run from the module pinned in go.mod/go.sum, with the
# machine's Go (no toolchain download, no cgo), and the link flags of helm's own Makefile:
# its version, and the Kubernetes version `helm template` assumes without --kube-version
# (that of its client-go, e.g. 1.34 for helm 3.19) instead of the compiled-in 1.20. Cached by
# the hash of go.sum. Prints the path of the helm binary on its last line.
#   bash test/helm/build.sh               # build if missing
#   bash test/helm/build.sh --print-path  # where it is (or would be); builds nothing
set -euo pipefail
cd "$(dirname "$0")"
key="$( (cat go.sum; echo "flags-1") | sha256sum | cut -c1-16)"
out="${HELM_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/occupier-operator/helm}/${key}"
if [ "${1:-}" = --print-path ]; then echo "$out/helm"; exit 0; fi
if [ -x "$out/helm" ]; then echo "helm: cached in $out" >&2; echo "$out/helm"; exit 0; fi
command -v go >/dev/null 2>&1 || { echo "build.sh: Go is not installed (helm is built from test/helm/go.mod)" >&2; exit 3; }
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [ -x "$out/helm" ]; then echo "helm: built meanwhile by another process, in $out" >&2; echo "$out/helm"; exit 0; fi
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=mod -trimpath"
helm_version="$(go list -m -f '{{.Version}}' helm.sh/helm/v3)"
k8s="$(go list -m -f '{{.Version}}' k8s.io/client-go)"   # v0.34.2 → Kubernetes 1.34
k8s_minor="$(echo "$k8s" | cut -d. -f2)"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${helm_version} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=${k8s_minor}"
done
start=$(date +%s)
echo "helm: building ${helm_version} (Kubernetes 1.${k8s_minor} by default, $(go version | cut -d' ' -f3)) into $out" >&2
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
go build -ldflags="$ldflags" -o "$out.tmp/helm" helm.sh/helm/v3/cmd/helm
rm -rf "$out" && mv "$out.tmp" "$out"
echo "helm: built in $(( $(date +%s) - start )) s" >&2
echo "$out/helm"
