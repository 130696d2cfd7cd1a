package bench

import (
	"fmt"
	"strings"
)

func mark(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// Markdown renders the report as the tables of docs/BENCHMARKS.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Results (%s, %d CPU, %d GB, %s, took %s)\n", r.Machine.CPUModel, r.Machine.CPUs, r.Machine.MemoryGB, r.Machine.Go, r.Elapsed)
	if a := r.Actions; a != nil {
		b.WriteString("\n### Operator actions: full system vs bare Temporal workflow\n\n")
		b.WriteString("| callers | action | bare p50 / p95 / p99 ms | full p50 / p95 / p99 ms | p50 ratio | p95 ratio | target |\n|---|---|---|---|---|---|---|\n")
		for _, l := range a.Levels {
			row := func(name string, bare, full Stats, r50, r95 float64) {
				fmt.Fprintf(&b, "| %d | %s | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %.2f | %.2f | %s |\n", l.Callers, name,
					bare.P50MS, bare.P95MS, bare.P99MS, full.P50MS, full.P95MS, full.P99MS, r50, r95, mark(r50 <= 1.5 && r95 <= 2))
			}
			row("take", l.BareTake, l.FullTake, l.TakeP50Ratio, l.TakeP95Ratio)
			row("validate", l.BareValidate, l.FullValidate, l.ValidateP50Ratio, l.ValidateP95Ratio)
			fmt.Fprintf(&b, "| %d | start / intake | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | | | |\n", l.Callers,
				l.BareStart.P50MS, l.BareStart.P95MS, l.BareStart.P99MS, l.FullIntake.P50MS, l.FullIntake.P95MS, l.FullIntake.P99MS)
		}
		b.WriteString("\n| callers | bare starts/s | full intakes/s | ratio (target >= 0.7) | bare takes/s | full takes/s | errors (bare / full) |\n|---|---|---|---|---|---|---|\n")
		for _, l := range a.Levels {
			errs := l.BareStart.Errors + l.BareTake.Errors + l.BareValidate.Errors
			ferrs := l.FullIntake.Errors + l.FullTake.Errors + l.FullValidate.Errors
			fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.2f (%s) | %.0f | %.0f | %d / %d |\n", l.Callers, l.BareStartsPerSec, l.FullIntakesPerSec,
				l.IntakeThroughputRatio, mark(l.IntakeThroughputRatio >= 0.7), l.BareTakesPerSec, l.FullTakesPerSec, errs, ferrs)
		}
		b.WriteString("\nCPU per operation, ms (Temporal server / PostgreSQL / this process: web, worker and clients), the asynchronous tail included:\n\n")
		b.WriteString("| callers | phase | bare | full |\n|---|---|---|---|\n")
		for _, l := range a.Levels {
			for _, ph := range []string{"start", "take", "validate"} {
				bc, fc := l.BareCPU[ph], l.FullCPU[ph]
				fmt.Fprintf(&b, "| %d | %s | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f |\n", l.Callers, ph,
					bc.TemporalMS, bc.PostgresMS, bc.AppMS, fc.TemporalMS, fc.PostgresMS, fc.AppMS)
			}
		}
	}
	if s := r.Search; s != nil {
		b.WriteString(s.markdown())
	}
	if p := r.PDF; p != nil {
		fmt.Fprintf(&b, "\n### Promemoria with %d services\n\n| PDF ms | HTML ms | ratio (target <= 10) | PDF size | PDF allocations |\n|---|---|---|---|---|\n| %.2f | %.2f | %.2f (%s) | %d KB | %.1f MB |\n",
			p.Services, p.PDFMS, p.HTMLMS, p.Ratio, mark(p.Ratio <= 10), p.PDFBytes/1024, p.PDFAllocMB)
	}
	if t := r.Timers; t != nil {
		b.WriteString(t.markdown())
	}
	return b.String()
}
