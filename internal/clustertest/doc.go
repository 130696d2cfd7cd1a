// Package clustertest holds the multi-replica crash test of the production
// form (cluster_test.go, build tag "cluster"), the worker versioning test
// (versioning_test.go) and the Temporal UI's login at the identity provider
// (uiauth_test.go): `make cluster-test`. It is
// not part of `make test`: it needs the Temporal server binaries and takes
// minutes; README, "Production", has its figures.
package clustertest
