package store_test

import (
	"encoding/base64"
	"testing"
	"time"

	"esenzioni/store"
)

// A cursor comes back in the URL: one carrying what the application never
// writes (NUL, invalid UTF-8, year 0, a number that is not one) is refused
// by the parser instead of reaching a query, where PostgreSQL fails on it.
func TestCursorsRefuseWhatTheApplicationNeverWrites(t *testing.T) {
	names := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := store.Cursor{CreatedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Number: "202601020300000001",
		LastName: "D'ANGELO", FirstName: "MARÌA"}
	if c, ok := store.ParseCursor(good.String()); !ok || c.LastName != good.LastName || !c.CreatedAt.Equal(good.CreatedAt) {
		t.Fatalf("good cursor: %+v %v", c, ok)
	}
	year0 := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for _, bad := range []string{
		"1772359200000000-202601020300000001-" + names("ROSSI\x00\nMARIO"),
		"1772359200000000-202601020300000001-" + names("ROSSI\nMA\xffRIO"),
		"1772359200000000-202601020300000001-" + names("RO\x1bSSI\nMARIO"),
		"1772359200000000-2026010203000000\x001",
		"1772359200000000-20260102030000000A",
		"9223372036854775807-202601020300000001",
		"-" + "62167219200000000-202601020300000001",
		itoa(year0) + "-202601020300000001",
	} {
		if c, ok := store.ParseCursor(bad); ok {
			t.Errorf("practice cursor %q accepted: %+v", bad, c)
		}
	}
	goodE := store.ExemptionCursor{LastName: "ROSSI", FirstName: "MARIO", IssuedOn: time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC), ID: 7}
	if c, ok := store.ParseExemptionCursor(goodE.String()); !ok || c.ID != 7 {
		t.Fatalf("good exemption cursor: %+v %v", c, ok)
	}
	for _, bad := range []string{
		"00000101-7-" + names("ROSSI\nMARIO"),
		"20250502-7-" + names("ROSSI\x00\nMARIO"),
		"20250502-7-" + names("\xc3\nMARIO"),
		"20250502-0-" + names("ROSSI\nMARIO"),
	} {
		if c, ok := store.ParseExemptionCursor(bad); ok {
			t.Errorf("exemption cursor %q accepted: %+v", bad, c)
		}
	}
}

func itoa(n int64) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
