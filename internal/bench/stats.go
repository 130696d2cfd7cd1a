// Package bench measures the system against the limits that matter, as
// ratios taken in one run on the embedded stack: operator actions against
// a bare Temporal workflow with the same messages, searches at 20k and 2M
// practices through the HTTP handlers and as raw SQL, the promemoria PDF
// against its HTML rendering, and the worker's memory with 10k and 100k live
// exemption timers. `esenzioni bench` runs it and prints a markdown table
// and a JSON file.
package bench

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Sample collects latencies.
type Sample struct {
	mu  sync.Mutex
	ds  []time.Duration
	err int
}

// Add records one latency.
func (s *Sample) Add(d time.Duration) {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
}

// Fail counts a failed call.
func (s *Sample) Fail() {
	s.mu.Lock()
	s.err++
	s.mu.Unlock()
}

// Stats summarises a sample.
type Stats struct {
	N      int     `json:"n"`
	Errors int     `json:"errors"`
	P50MS  float64 `json:"p50Ms"`
	P95MS  float64 `json:"p95Ms"`
	P99MS  float64 `json:"p99Ms"`
	MeanMS float64 `json:"meanMs"`
}

// Stats computes percentiles (nearest rank).
func (s *Sample) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	ds := append([]time.Duration(nil), s.ds...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	st := Stats{N: len(ds), Errors: s.err}
	if len(ds) == 0 {
		return st
	}
	pct := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		if i < 0 {
			i = 0
		}
		return ms(ds[i])
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	st.P50MS, st.P95MS, st.P99MS = pct(0.50), pct(0.95), pct(0.99)
	st.MeanMS = ms(sum / time.Duration(len(ds)))
	return st
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// ratio divides safely, rounded to two decimals.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(a/b*100) / 100
}
