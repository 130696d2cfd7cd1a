package main

import (
	"os"
	"runtime/debug"
)

// tuneGCForWeb makes the garbage collector run less often in processes that
// serve pages: their live heap is small (tens of MB) and every page
// allocates, so with the default (GOGC=100) collections ran during most
// requests and doubled the tail latency of searches (docs/BENCHMARKS.md).
// A memory limit keeps the trade bounded. GOGC and GOMEMLIMIT, when set,
// win.
func tuneGCForWeb() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}
