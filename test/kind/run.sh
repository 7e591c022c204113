#!/usr/bin/env bash
# `npm run e2e:kind`: the end-to-end scenarios on a real Kubernetes (kind) instead of the
# embedded cluster. Needs Docker and kind on the PATH (not available on CI machines, which run
# the same scenarios on the embedded cluster as part of `npm test`).
#
#   1. the API conformance suite (test/conformance) against kind's API server
#   2. the operator (npm start -- --kubeconfig ...) against kind: apply examples/, every Site
#      and Occupier Ready, a Decommission run to Succeeded, the Occupier Decommissioned.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
command -v kind >/dev/null || { echo "kind is not installed (https://kind.sigs.k8s.io)"; exit 2; }
command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "no Docker engine: kind cannot run here"; exit 2; }

CLUSTER=${KIND_CLUSTER:-occupier-e2e}
KUBECONFIG_FILE=$(mktemp)
OPERATOR_PID=
cleanup() {
  [ -n "$OPERATOR_PID" ] && kill "$OPERATOR_PID" 2>/dev/null || true
  [ -z "${KEEP_CLUSTER:-}" ] && kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  rm -f "$KUBECONFIG_FILE"
}
trap cleanup EXIT

kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" --wait 120s
export KUBECONFIG="$KUBECONFIG_FILE"
kubectl apply -f crds/
kubectl wait --for=condition=Established crd --all --timeout=60s

echo "== conformance suite against kind"
npm run test:conformance -- --kubeconfig "$KUBECONFIG_FILE"

echo "== operator against kind"
node operator/src/cli/main.ts --kubeconfig "$KUBECONFIG_FILE" --metrics-port 0 --no-leader-elect &
OPERATOR_PID=$!
kubectl apply -k examples/
kubectl -n occupiers wait --for=condition=Ready occupiers --all --timeout=180s
kubectl wait --for=condition=Ready sites --all --timeout=60s
cat <<YAML | kubectl apply -f -
apiVersion: occupier.dev/v1alpha1
kind: Decommission
metadata: { name: quill-legal-now, namespace: occupiers }
spec:
  occupierRef: { name: quill-legal }
  confirm: { occupierName: quill-legal, irreversible: true }
YAML
kubectl -n occupiers wait --for=jsonpath='{.status.phase}'=Succeeded decommission/quill-legal-now --timeout=180s
kubectl -n occupiers wait --for=jsonpath='{.status.phase}'=Decommissioned occupiers/quill-legal --timeout=60s
kubectl get tenancy -A
echo "e2e:kind passed"
