package exemption

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckEndDate(t *testing.T) {
	today := NewDate(2026, 12, 5)
	issued := NewDate(2024, 3, 10)
	for _, tc := range []struct {
		name        string
		end, issued Date
		code        string
	}{
		{"one year", NewDate(2027, 12, 5), issued, ""},
		{"exactly ten years", NewDate(2036, 12, 5), issued, ""},
		{"a day beyond ten years", NewDate(2036, 12, 6), issued, CodeEndDateTooLate},
		{"31/12/9999", NewDate(9999, 12, 31), issued, CodeEndDateTooLate},
		{"today: a revocation", today, issued, ""},
		{"revoked from the start", NewDate(2024, 3, 10), issued, ""},
		{"before the issue", NewDate(2024, 3, 9), issued, CodeEndDateBeforeIssue},
		{"year 0001", NewDate(1, 1, 1), issued, CodeEndDateBeforeIssue},
		{"issue unknown (wizard)", NewDate(2030, 1, 1), Date{}, ""},
		{"issue unknown, too late", NewDate(2099, 1, 1), Date{}, CodeEndDateTooLate},
	} {
		p := CheckEndDate(tc.end, today, tc.issued)
		if tc.code == "" {
			assert.Nil(t, p, tc.name)
		} else if assert.NotNil(t, p, tc.name) {
			assert.Equal(t, tc.code, p.Code, tc.name)
			assert.NotEmpty(t, p.Message)
		}
	}
}

func TestCheckDocumentDates(t *testing.T) {
	today := NewDate(2026, 12, 5)
	d := func(y int, m, day int) *Date { v := NewDate(y, 1, 1).AddDate(0, m-1, day-1); return &v }
	for _, tc := range []struct {
		name                  string
		issued, valid         *Date
		issuedCode, validCode string
	}{
		{"today", d(2026, 12, 5), nil, "", ""},
		{"tomorrow", d(2026, 12, 6), nil, CodeIssueDateInFuture, ""},
		{"2099", d(2099, 1, 1), nil, CodeIssueDateInFuture, ""},
		{"1900", d(1900, 1, 1), nil, "", ""},
		{"1899", d(1899, 12, 31), nil, CodeIssueDateTooOld, ""},
		{"year 0", d(0, 1, 1), nil, CodeIssueDateTooOld, ""},
		{"valid for a year", d(2026, 1, 1), d(2027, 1, 1), "", ""},
		{"valid before issue", d(2026, 1, 1), d(2025, 1, 1), "", CodeValidUntilBadRange},
		{"valid until 9999", d(2026, 1, 1), d(9999, 12, 31), "", CodeValidUntilBadRange},
		{"no dates", nil, nil, "", ""},
	} {
		got := CheckDocumentDates(tc.issued, tc.valid, today)
		code := func(k string) string {
			if p := got[k]; p != nil {
				return p.Code
			}
			return ""
		}
		assert.Equal(t, tc.issuedCode, code("issuedOn"), tc.name)
		assert.Equal(t, tc.validCode, code("validUntil"), tc.name)
	}
}
