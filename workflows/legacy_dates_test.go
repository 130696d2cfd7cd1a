package workflows

import (
	"testing"

	"esenzioni/domain/exemption"
)

// TestLegacyEndDateKeepsTheReleasedRule: the legacy practice code computes
// an exemption's end date inside the workflow, so its replay must compute
// the date the released code did, even where the rule has changed since
// (a month from 31 January: 27 February then, 28 February now).
func TestLegacyEndDateKeepsTheReleasedRule(t *testing.T) {
	for _, tc := range []struct {
		start    exemption.Date
		d        exemption.Duration
		released exemption.Date
	}{
		{exemption.NewDate(2026, 1, 31), exemption.Duration{Value: 1, Unit: exemption.Months}, exemption.NewDate(2026, 2, 27)},
		{exemption.NewDate(2024, 2, 29), exemption.Duration{Value: 1, Unit: exemption.Years}, exemption.NewDate(2025, 2, 27)},
		{exemption.NewDate(2026, 3, 10), exemption.Duration{Value: 1, Unit: exemption.Years}, exemption.NewDate(2027, 3, 9)},
		{exemption.NewDate(2026, 3, 10), exemption.Duration{Value: 30, Unit: exemption.Days}, exemption.NewDate(2026, 4, 8)},
	} {
		got, ok := legacyEndDate(tc.d, tc.start)
		if !ok || !got.Equal(tc.released) {
			t.Errorf("%s from %s: %s, want %s as released", tc.d, tc.start.Format("2006-01-02"), got.Format("2006-01-02"), tc.released.Format("2006-01-02"))
		}
	}
	if _, ok := legacyEndDate(exemption.Duration{}, exemption.NewDate(2026, 1, 1)); ok {
		t.Error("an unlimited duration has no end date")
	}
}
