//go:build tools

// Package tools pins the binaries the test suites run: a real kube-apiserver, etcd and
// kubectl, built from these modules by build.sh. Nothing here is part of the product.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
