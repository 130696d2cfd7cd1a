// Package clustertest holds the multi-replica crash test of the production
// form (cluster_test.go, build tag "cluster"): `make cluster-test`. It is
// not part of `make test`: it needs the Temporal server binaries and takes
// minutes; README, "Production", has its figures.
package clustertest
