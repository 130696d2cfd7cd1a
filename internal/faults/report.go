package faults

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// PhaseReport is one fault kind's outcome.
type PhaseReport struct {
	Kind, Help   string
	Kills        int
	Practices    int
	LoadTime     time.Duration
	KillLog      []KillOutcome
	Check        CheckResult
	ClientErrors []string
}

// Report is a whole run.
type Report struct {
	Options Options
	Phases  []PhaseReport
	// Final is the check of every practice of the run at its end.
	Final   *CheckResult
	Elapsed time.Duration
}

// Failed reports whether anything was lost, doubled or mismatched, in a
// phase or at the end, or a kill was not followed by a recovery.
func (r *Report) Failed() bool {
	for _, p := range r.Phases {
		if p.Check.Bad() || p.unrecovered() > 0 {
			return true
		}
	}
	return r.Final != nil && r.Final.Bad()
}

func (p PhaseReport) unrecovered() int {
	n := 0
	for _, k := range p.KillLog {
		if k.Recovery < 0 {
			n++
		}
	}
	return n
}

func (p PhaseReport) inFlight() int {
	n := 0
	for _, k := range p.KillLog {
		if k.InFlight {
			n++
		}
	}
	return n
}

// recovery returns the p50 and max recovery times of the kills.
func (p PhaseReport) recovery() (p50, max time.Duration) {
	var ds []time.Duration
	for _, k := range p.KillLog {
		if k.Recovery >= 0 {
			ds = append(ds, k.Recovery)
		}
	}
	if len(ds) == 0 {
		return 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[(len(ds)-1)/2], ds[len(ds)-1]
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

const tableHeader = "| fault | kills (in flight) | practices | attempted | succeeded | failed (client) | no answer | lost | doubled | refused but applied | read-model mismatches | audit mismatches | recovery p50 | recovery max |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"

func (p PhaseReport) row() string {
	c := p.Check
	p50, max := p.recovery()
	rec := seconds(p50) + " | " + seconds(max)
	if n := p.unrecovered(); n > 0 {
		rec += fmt.Sprintf(" (%d never)", n)
	}
	return fmt.Sprintf("| %s | %d (%d) | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n",
		p.Kind, len(p.KillLog), p.inFlight(), p.Practices, c.Attempted, c.Succeeded, c.Failed, c.Unknown,
		c.Lost, c.Doubled, c.RefusedApplied, c.ReadModel, c.Audit, rec)
}

// Table renders the phase as a markdown table with its details.
func (p PhaseReport) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### %s: %s\n\n", p.Kind, p.Help)
	b.WriteString(tableHeader)
	b.WriteString(p.row())
	c := p.Check
	fmt.Fprintf(&b, "\n%d practices and %d exemptions checked; %d requests refused as built to be (stale version, no reason, NUL byte), %d other refusals; %d duplicate update deliveries; load %s.\n",
		c.Practices, c.Exemptions, c.Failed-c.UnexpectedRefusals, c.UnexpectedRefusals, c.DuplicateDeliveries, p.LoadTime.Round(time.Second))
	writeDetails(&b, c.Details)
	for _, e := range p.ClientErrors {
		fmt.Fprintf(&b, "- client: %s\n", e)
	}
	return b.String()
}

func writeDetails(b *strings.Builder, details []string) {
	const max = 40
	for i, d := range details {
		if i == max {
			fmt.Fprintf(b, "- ... and %d more\n", len(details)-max)
			break
		}
		fmt.Fprintf(b, "- %s\n", d)
	}
}

// Totals renders the totals of every phase and the final check.
func (r *Report) Totals() string {
	var b strings.Builder
	b.WriteString("\n### Totals\n\n")
	b.WriteString(tableHeader)
	var all PhaseReport
	all.Kind = "**all**"
	for _, p := range r.Phases {
		b.WriteString(p.row())
		all.Practices += p.Practices
		all.KillLog = append(all.KillLog, p.KillLog...)
		c := p.Check
		all.Check.Attempted += c.Attempted
		all.Check.Succeeded += c.Succeeded
		all.Check.Failed += c.Failed
		all.Check.Unknown += c.Unknown
		all.Check.add(c)
	}
	b.WriteString(all.row())
	if f := r.Final; f != nil {
		fmt.Fprintf(&b, "\nFinal check of all %d practices and %d exemptions at the end of the run: lost %d, doubled %d, refused but applied %d, read-model mismatches %d, audit mismatches %d.\n",
			f.Practices, f.Exemptions, f.Lost, f.Doubled, f.RefusedApplied, f.ReadModel, f.Audit)
		if f.Bad() {
			writeDetails(&b, f.Details)
		}
	}
	verdict := "PASS: nothing lost, doubled or mismatched"
	if r.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n%s (run took %s).\n", verdict, r.Elapsed.Round(time.Second))
	return b.String()
}
