package oidc

import "testing"

func TestLevelTable(t *testing.T) {
	for _, tc := range []struct {
		acr  string
		want int
	}{
		{"https://www.spid.gov.it/SpidL1", 1},
		{"https://www.spid.gov.it/SpidL3", 3},
		{"  https://www.spid.gov.it/SpidL2\n", 2},
		{"SpidL1", 1},
		{"L2", 2},
		{"3", 3},
		{"SpidL0", 0},
		{"SpidL4", 0},
		{"SpidL23", 0},
		{"spidl2", 0}, // the acr values are case-sensitive URIs
		{"LL2", 0},
		{"https://www.spid.gov.it/SpidL", 0},
		{"https://example.org/SpidL2", 0},
		{"urn:spid:L2", 0},
		{"2 ", 2},
		{"", 0},
	} {
		if got := Level(tc.acr); got != tc.want {
			t.Errorf("Level(%q) = %d, want %d", tc.acr, got, tc.want)
		}
	}
	// ACR and Level agree on every level.
	for l := 1; l <= 3; l++ {
		if got := Level(ACR(l)); got != l {
			t.Errorf("Level(ACR(%d)) = %d", l, got)
		}
	}
}

func TestFiscalNumberClaim(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    claims
		want string
	}{
		{"SPID claim", claims{FiscalNumber: "TINIT-A"}, "TINIT-A"},
		{"attribute URI claim", claims{FiscalNumberEU: "TINIT-B"}, "TINIT-B"},
		{"both: the SPID claim wins", claims{FiscalNumber: "TINIT-A", FiscalNumberEU: "TINIT-B"}, "TINIT-A"},
		{"none", claims{ACR: "SpidL2"}, ""},
	} {
		if got := tc.c.fiscalNumber(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFiscalCodeOf(t *testing.T) {
	const cf = "RSSMRA80A01H501U"
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"TINIT-" + cf, cf, true},
		{"tinit-rssmra80a01h501u", cf, true},
		{"  TINIT-" + cf + " ", cf, true},
		{cf, cf, true},                                       // a gateway sending the bare code
		{"TINIT-RSSMRA80A01H50MM", "RSSMRA80A01H50MM", true}, // omocodia kept as given
		{"TINIT-RSSMRA80A01H501X", "", false},                // check character
		{"TINIT-" + cf + "X", "", false},
		{"TINIT-", "", false},
		{"", "", false},
		{"IT-" + cf, "", false},          // another country's prefix is not stripped
		{"TINIT-TINIT-" + cf, "", false}, // stripped once
	} {
		got, err := fiscalCodeOf(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("fiscalCodeOf(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
