package benchdata

import (
	"math"
	"sort"
	"time"

	"esenzioni/domain/exemption"
)

// timeline spreads practice submissions over the window before now: more
// recent days are denser (the service grows), weekdays busier than
// weekends, office hours busier than nights. at maps a quantile to an
// instant monotonically, so practices generated with increasing quantiles
// come out in creation order, like rows appended by the live system.
type timeline struct {
	days  []time.Time // midnight (Europe/Rome) of each day of the window
	cum   []float64   // cumulative weight at the end of each day
	hours [25]float64 // cumulative weight of the hour profile, hours[0] = 0
	// lastFrac is the share of today's hour profile already elapsed at now.
	lastFrac float64
	now      time.Time
}

// hourWeights is the submission profile over the day (doctors' software and
// the citizen portal, Europe/Rome).
var hourWeights = [24]float64{
	0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3, 1.0, 1.4, 1.5, 1.5,
	1.1, 0.7, 1.0, 1.2, 1.1, 0.9, 0.6, 0.4, 0.25, 0.15, 0.08, 0.04,
}

// growth is how much denser the last day is than the first: 1 means twice.
const growth = 1.0

func newTimeline(now time.Time, years int) *timeline {
	tl := &timeline{now: now}
	for h := range 24 {
		tl.hours[h+1] = tl.hours[h] + hourWeights[h]
	}
	local := now.In(exemption.Rome)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, exemption.Rome)
	first := today.AddDate(-years, 0, 0)
	for d := first; !d.After(today); d = d.AddDate(0, 0, 1) {
		tl.days = append(tl.days, d)
	}
	// The fraction of today's profile before now.
	h := local.Sub(today).Hours()
	hi := min(int(h), 23)
	tl.lastFrac = (tl.hours[hi] + (h-float64(hi))*hourWeights[hi]) / tl.hours[24]

	total := 0.0
	n := len(tl.days)
	for i, d := range tl.days {
		w := (1 + growth*float64(i)/float64(max(n-1, 1))) * weekdayWeight(d.Weekday())
		if i == n-1 {
			w *= tl.lastFrac
		}
		total += w
		tl.cum = append(tl.cum, total)
	}
	return tl
}

func weekdayWeight(d time.Weekday) float64 {
	switch d {
	case time.Saturday:
		return 0.25
	case time.Sunday:
		return 0.08
	}
	return 1
}

// start is the beginning of the window.
func (tl *timeline) start() time.Time { return tl.days[0] }

// at returns the instant of quantile u in [0,1).
func (tl *timeline) at(u float64) time.Time {
	total := tl.cum[len(tl.cum)-1]
	x := u * total
	i := sort.SearchFloat64s(tl.cum, x)
	if i >= len(tl.cum) {
		i = len(tl.cum) - 1
	}
	prev := 0.0
	if i > 0 {
		prev = tl.cum[i-1]
	}
	frac := 0.0
	if w := tl.cum[i] - prev; w > 0 {
		frac = (x - prev) / w
	}
	if i == len(tl.cum)-1 {
		frac *= tl.lastFrac
	}
	// Invert the hour profile.
	y := frac * tl.hours[24]
	h := sort.SearchFloat64s(tl.hours[1:], y)
	h = min(h, 23)
	within := 0.0
	if hourWeights[h] > 0 {
		within = (y - tl.hours[h]) / hourWeights[h]
	}
	within = clamp(within, 0, 1)
	t := tl.days[i].Add(time.Duration((float64(h) + within) * float64(time.Hour))).Truncate(time.Microsecond)
	if t.After(tl.now) {
		t = tl.now
	}
	return t
}

// ageDays is the age of t at now, in days.
func (tl *timeline) ageDays(t time.Time) float64 { return tl.now.Sub(t).Hours() / 24 }

// openProbability is the chance that a practice of age days is still open
// (INVIATA or IN_LAVORAZIONE): almost all of today's, a few of last year's,
// practically none older (a stretched exponential, thinner-tailed than a
// plain one).
func openProbability(ageDays, tau float64) float64 {
	return 0.97 * math.Exp(-math.Pow(ageDays/tau, 1.5))
}

// calibrateOpen finds the decay (days) of openProbability that leaves the
// share target of all practices open, given how submissions spread over the
// timeline.
func (tl *timeline) calibrateOpen(target float64) float64 {
	share := func(tau float64) float64 {
		s, prev := 0.0, 0.0
		for i, d := range tl.days {
			w := tl.cum[i] - prev
			prev = tl.cum[i]
			age := tl.ageDays(d.Add(12 * time.Hour))
			s += w * openProbability(max(age, 0), tau)
		}
		return s / tl.cum[len(tl.cum)-1]
	}
	lo, hi := 0.01, 1e5
	if share(hi) < target {
		return hi
	}
	for range 80 {
		mid := math.Sqrt(lo * hi)
		if share(mid) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
