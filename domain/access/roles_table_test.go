package access

import "testing"

func TestRolesTable(t *testing.T) {
	for _, tc := range []struct {
		role                              Role
		operator, regional, internalNotes bool
		label                             string
	}{
		{OperatoreASL, true, false, true, "Operatore amministrativo ASL"},
		{MedicoASL, true, false, true, "Medico di distretto ASL"},
		{Amministratore, true, true, true, "Amministratore regionale"},
		{MedicoSpecialista, false, false, true, "Medico specialista"}, // the submitting doctor (manual, chapter 4)
		{Cittadino, false, false, false, "Cittadino"},
		{Delegato, false, false, false, "Delegato"},
		{Sistema, false, false, false, "Sistema"},
		{"", false, false, false, ""},
		{"operatore_asl_distretto", false, false, false, "operatore_asl_distretto"},
	} {
		if tc.role.Operator() != tc.operator || tc.role.Regional() != tc.regional ||
			tc.role.SeesInternalNotes() != tc.internalNotes || tc.role.Label() != tc.label {
			t.Errorf("%q: Operator %v Regional %v SeesInternalNotes %v Label %q", tc.role,
				tc.role.Operator(), tc.role.Regional(), tc.role.SeesInternalNotes(), tc.role.Label())
		}
	}
}

func TestInScopeTable(t *testing.T) {
	const to3, cn2 = "010203", "010211"
	for _, tc := range []struct {
		name                string
		role                Role
		actorASL, recordASL string
		want                bool
	}{
		{"operator, own ASL", OperatoreASL, to3, to3, true},
		{"operator, other ASL", OperatoreASL, to3, cn2, false},
		{"district doctor, own ASL", MedicoASL, cn2, cn2, true},
		{"district doctor, other ASL", MedicoASL, cn2, to3, false},
		{"operator without an ASL", OperatoreASL, "", to3, false},
		{"operator without an ASL, record without one", OperatoreASL, "", "", false},
		{"administrator, any ASL", Amministratore, "", cn2, true},
		{"administrator, record without an ASL", Amministratore, "", "", true},
		{"citizen with a matching ASL", Cittadino, to3, to3, false},
		{"submitting doctor", MedicoSpecialista, to3, to3, false},
		{"system", Sistema, to3, to3, false},
	} {
		if got := InScope(tc.role, tc.actorASL, tc.recordASL); got != tc.want {
			t.Errorf("%s: InScope = %v", tc.name, got)
		}
	}
}
