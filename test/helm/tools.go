//go:build tools

// Package tools pins helm for the chart tests, built from this module by build.sh. Nothing
// here is part of the product.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
