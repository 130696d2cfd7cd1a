package oidc

import "testing"

func TestLevel(t *testing.T) {
	for acr, want := range map[string]int{
		"https://www.spid.gov.it/SpidL1": 1, "https://www.spid.gov.it/SpidL2": 2, "https://www.spid.gov.it/SpidL3": 3,
		"SpidL2": 2, "L3": 3, "2": 2, "": 0, "https://www.spid.gov.it/SpidL4": 0, "urn:other": 0,
	} {
		if got := Level(acr); got != want {
			t.Errorf("Level(%q) = %d, want %d", acr, got, want)
		}
	}
	if ACR(2) != "https://www.spid.gov.it/SpidL2" {
		t.Fatal(ACR(2))
	}
}
