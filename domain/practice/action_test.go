package practice

import (
	"testing"

	"esenzioni/domain/audit"
)

func TestActionCanonical(t *testing.T) {
	for _, tc := range []struct {
		in, want Action
	}{
		// The English codes released up to v3.
		{"SUBMIT", Submit}, {"TAKE", Take}, {"VALIDATE", Validate},
		{"REJECT", Reject}, {"CANCEL", Cancel}, {"NOTE", AddNote},
		// Current codes stay as they are.
		{Submit, Submit}, {Take, Take}, {Validate, Validate},
		{Reject, Reject}, {Cancel, Cancel}, {AddNote, AddNote},
		// Anything else is not an action and is left for Check to refuse.
		{"", ""}, {"take", "take"}, {"SOSPENSIONE", "SOSPENSIONE"},
	} {
		if got := tc.in.Canonical(); got != tc.want {
			t.Errorf("Action(%q).Canonical() = %q, want %q", tc.in, got, tc.want)
		}
	}
	want := map[Action]string{
		Submit: "INVIO", Take: "PRESA_IN_CARICO", Validate: "VALIDAZIONE",
		Reject: "RESPINGIMENTO", Cancel: "ANNULLAMENTO", AddNote: "NOTA",
	}
	for a, code := range want {
		if string(a) != code {
			t.Errorf("stored code %q, want %q (a stored code changes only with a migration)", a, code)
		}
	}
	if len(legacyActions) != len(want) {
		t.Errorf("%d legacy codes for %d actions", len(legacyActions), len(want))
	}
}

// A record of a run started before the Italian codes is stored with them:
// its older events carry the English ones, its newer the current ones.
func TestSanitizedCanonicalActions(t *testing.T) {
	r := Record{Number: "202601020300000001", Events: []Event{
		{Seq: 1, Action: "SUBMIT", State: Inviata},
		{Seq: 2, Action: "NOTE", State: Inviata},
		{Seq: 3, Action: Take, State: InLavorazione, Audit: &audit.Context{Action: audit.PracticeAction}},
	}}
	got := r.Sanitized()
	for i, want := range []Action{Submit, AddNote, Take} {
		if got.Events[i].Action != want {
			t.Errorf("event %d: %q, want %q", i+1, got.Events[i].Action, want)
		}
	}
	if r.Events[0].Action != "SUBMIT" {
		t.Error("Sanitized changed the record it was given")
	}
	if a := got.Audits(); len(a) != 1 || a[0].Detail["azione"] != string(Take) {
		t.Errorf("audit rows %+v", a)
	}
}
