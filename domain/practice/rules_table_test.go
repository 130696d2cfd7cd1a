package practice

import (
	"slices"
	"strings"
	"testing"

	"esenzioni/domain/access"
)

const (
	aslTO3 = "010203"
	aslCN2 = "010211"
	citFC  = "RSSMRA80A01H501U"
)

var (
	opTO3    = access.Actor{FiscalCode: "OPRTRE80A01L219X", Role: access.OperatoreASL, ASL: aslTO3}
	medTO3   = access.Actor{FiscalCode: "MDCDST80A01L219X", Role: access.MedicoASL, ASL: aslTO3}
	opCN2    = access.Actor{FiscalCode: "OPRCNN80A01L219X", Role: access.OperatoreASL, ASL: aslCN2}
	opNoASL  = access.Actor{FiscalCode: "OPRNSL80A01L219X", Role: access.OperatoreASL}
	admin    = access.Actor{FiscalCode: "MMNSTR80A01L219X", Role: access.Amministratore}
	citizen  = access.Actor{FiscalCode: citFC, Role: access.Cittadino}
	stranger = access.Actor{FiscalCode: "STRNGR80A01L219X", Role: access.Cittadino}
	doctor   = access.Actor{FiscalCode: citFC, Role: access.MedicoSpecialista}
	delegate = access.Actor{FiscalCode: citFC, Role: access.Delegato}
	system   = access.Actor{FiscalCode: "SISTEMA", Role: access.Sistema}
)

func subject(s State) Subject {
	return Subject{Number: "202601020300000001", State: s, Version: 4, ASL: aslTO3, SubmitterFC: citFC, SubmitterKind: SubmitterCitizen}
}

func TestCheckTable(t *testing.T) {
	cmd := func(a Action, actor access.Actor, f ...func(*Command)) Command {
		c := Command{Action: a, Actor: actor, RequestID: "r-1"}
		for _, g := range f {
			g(&c)
		}
		return c
	}
	reason := func(code string) func(*Command) { return func(c *Command) { c.ReasonCode = code } }
	notes := func(b, i string) func(*Command) { return func(c *Command) { c.BeneficiaryNote, c.InternalNote = b, i } }
	version := func(v int) func(*Command) { return func(c *Command) { c.ExpectedVersion = v } }
	noKey := func(c *Command) { c.RequestID = "" }
	long := strings.Repeat("è", MaxNoteLength) // 2,000 characters, 4,000 bytes

	for _, tc := range []struct {
		name  string
		state State
		cmd   Command
		code  string // "" = allowed
	}{
		// Who may act.
		{"operator of the ASL takes", Inviata, cmd(Take, opTO3), ""},
		{"district doctor takes", Inviata, cmd(Take, medTO3), ""},
		{"regional administrator, any ASL", Inviata, cmd(Take, admin), ""},
		{"operator of another ASL", Inviata, cmd(Take, opCN2), CodeOutOfScope},
		{"operator without an ASL", Inviata, cmd(Take, opNoASL), CodeOutOfScope},
		{"the submitter cancels", Inviata, cmd(Cancel, citizen), ""},
		{"the submitter cancels in lavorazione", InLavorazione, cmd(Cancel, citizen), ""},
		{"a doctor submitter cancels", Inviata, cmd(Cancel, doctor), ""},
		{"a delegate submitter cancels", Inviata, cmd(Cancel, delegate), ""},
		{"someone else cancels", Inviata, cmd(Cancel, stranger), CodeNotAllowed},
		{"the submitter may not take", Inviata, cmd(Take, citizen), CodeNotAllowed},
		{"the submitter may not validate", Inviata, cmd(Validate, citizen), CodeNotAllowed},
		{"the submitter may not add notes", Inviata, cmd(AddNote, citizen, notes("x", "")), CodeNotAllowed},
		{"no fiscal code matches no submitter", Inviata, cmd(Cancel, access.Actor{Role: access.Cittadino}), CodeNotAllowed},
		{"the system role acts on nothing", Inviata, cmd(Cancel, system), CodeNotAllowed},
		{"an unknown role", Inviata, cmd(Take, access.Actor{FiscalCode: citFC, Role: "ROOT", ASL: aslTO3}), CodeNotAllowed},

		// States.
		{"take twice", InLavorazione, cmd(Take, opTO3), CodeWrongState},
		{"validate from inviata", Inviata, cmd(Validate, opTO3), ""},
		{"validate from in lavorazione", InLavorazione, cmd(Validate, opTO3), ""},
		{"validate twice", Validata, cmd(Validate, opTO3), CodeWrongState},
		{"reject a validated practice", Validata, cmd(Reject, opTO3, reason("REQUISITI_NON_SUFFICIENTI")), CodeWrongState},
		{"cancel a rejected practice", Respinta, cmd(Cancel, opTO3), CodeWrongState},
		{"the submitter cancels twice", Annullata, cmd(Cancel, citizen), CodeWrongState},
		{"note on a closed practice", Annullata, cmd(AddNote, opTO3, notes("x", "")), CodeWrongState},
		{"submit is no command", Inviata, cmd(Submit, opTO3), CodeWrongState},
		{"unknown action", Inviata, cmd("DELETE", admin), CodeWrongState},
		{"empty action", Inviata, cmd("", admin), CodeWrongState},

		// Reject needs a well-formed reason code.
		{"reject with a reason", InLavorazione, cmd(Reject, opTO3, reason("REQUISITI_NON_SUFFICIENTI")), ""},
		{"reject without a reason", InLavorazione, cmd(Reject, opTO3), CodeReasonRequired},
		{"reject with a blank reason", InLavorazione, cmd(Reject, opTO3, reason(" \t")), CodeReasonRequired},
		{"reject, lower case reason", InLavorazione, cmd(Reject, opTO3, reason("requisiti")), CodeReasonUnknown},
		{"reject, one-letter reason", InLavorazione, cmd(Reject, opTO3, reason("A")), CodeReasonUnknown},
		{"reject, 60-letter reason", InLavorazione, cmd(Reject, opTO3, reason(strings.Repeat("A", 60))), ""},
		{"reject, 61-letter reason", InLavorazione, cmd(Reject, opTO3, reason(strings.Repeat("A", 61))), CodeReasonUnknown},
		{"reject, reason with a space", InLavorazione, cmd(Reject, opTO3, reason("NON VALIDO")), CodeReasonUnknown},
		{"take ignores a reason", Inviata, cmd(Take, opTO3, reason("anything at all")), ""},

		// Notes.
		{"note: beneficiary only", InLavorazione, cmd(AddNote, opTO3, notes("Documenti ricevuti", "")), ""},
		{"note: internal only", InLavorazione, cmd(AddNote, opTO3, notes("", "Verificare")), ""},
		{"note: none", InLavorazione, cmd(AddNote, opTO3), CodeNoteEmpty},
		{"note: blanks only", InLavorazione, cmd(AddNote, opTO3, notes(" \n", "\t")), CodeNoteEmpty},
		{"notes of 2,000 characters", InLavorazione, cmd(AddNote, opTO3, notes(long, long)), ""},
		{"beneficiary note of 2,001 characters", InLavorazione, cmd(AddNote, opTO3, notes(long+"a", "")), CodeNoteTooLong},
		{"internal note of 2,001 characters", InLavorazione, cmd(Take, opTO3, notes("", long+"a")), CodeNoteTooLong},
		{"take with an empty note", Inviata, cmd(Take, opTO3), ""},

		// Versions.
		{"expected version matches", Inviata, cmd(Take, opTO3, version(4)), ""},
		{"version 0 skips the check", Inviata, cmd(Take, opTO3, version(0)), ""},
		{"stale version", Inviata, cmd(Take, opTO3, version(3)), CodeStaleVersion},
		{"version from the future", Inviata, cmd(Take, opTO3, version(5)), CodeStaleVersion},

		// Order of the checks: the first refusal is the one reported.
		{"no idempotency key before anything", Annullata, cmd("DELETE", stranger, noKey, version(1)), CodeBadRequest},
		{"note length before scope", Inviata, cmd(Take, opCN2, notes(long+"a", "")), CodeNoteTooLong},
		{"scope before version", Inviata, cmd(Take, opCN2, version(1)), CodeOutOfScope},
		{"scope before state", Validata, cmd(Take, opCN2), CodeOutOfScope},
		{"version before state", Validata, cmd(Take, opTO3, version(1)), CodeStaleVersion},
		{"state before reason", Validata, cmd(Reject, opTO3), CodeWrongState},
		{"state before empty note", Annullata, cmd(AddNote, opTO3), CodeWrongState},
	} {
		r := Check(subject(tc.state), tc.cmd)
		got := ""
		if r != nil {
			got = r.Code
			if r.Message == "" || r.Error() != r.Code+": "+r.Message {
				t.Errorf("%s: refusal %+v without a message", tc.name, r)
			}
		}
		if got != tc.code {
			t.Errorf("%s: Check = %v, want %q", tc.name, r, tc.code)
		}
	}
}

// The messages name the practice and the actor's profile where they say so.
func TestCheckMessages(t *testing.T) {
	p := subject(Validata)
	if r := Check(p, Command{Action: Take, Actor: opTO3, RequestID: "x"}); r == nil ||
		!strings.Contains(r.Message, p.Number) || !strings.Contains(r.Message, "Validata") {
		t.Errorf("wrong state: %v", r)
	}
	if r := Check(p, Command{Action: Take, Actor: citizen, RequestID: "x"}); r == nil ||
		!strings.Contains(r.Message, "Cittadino") {
		t.Errorf("not allowed: %v", r)
	}
	if r := Check(p, Command{Action: Take, Actor: opTO3, RequestID: "x", ExpectedVersion: 1}); r == nil || r.Message != ConflictMessage {
		t.Errorf("stale: %v", r)
	}
}

// Allowed (the buttons) offers exactly the actions Check accepts.
func TestAllowedAgreesWithCheck(t *testing.T) {
	actors := []access.Actor{opTO3, medTO3, opCN2, opNoASL, admin, citizen, stranger, doctor, delegate, system}
	states := []State{Inviata, InLavorazione, Validata, Respinta, Annullata}
	for _, s := range states {
		for _, actor := range actors {
			allowed := Allowed(subject(s), actor)
			for _, a := range Actions {
				cmd := Command{Action: a, Actor: actor, RequestID: "r", ReasonCode: "MOTIVO", BeneficiaryNote: "nota"}
				ok := Check(subject(s), cmd) == nil
				if ok != slices.Contains(allowed, a) {
					t.Errorf("%s, %s %s: Check ok %v, Allowed %v", s, actor.Role, a, ok, allowed)
				}
			}
			if s.IsClosed() && len(allowed) > 0 {
				t.Errorf("%s is closed but %s may %v", s, actor.Role, allowed)
			}
		}
	}
}

func TestStepsTable(t *testing.T) {
	for _, tc := range []struct {
		from State
		a    Action
		want []State
	}{
		{Inviata, Take, []State{InLavorazione}},
		{Inviata, Validate, []State{InLavorazione, Validata}}, // two rows in the cronologia
		{InLavorazione, Validate, []State{Validata}},
		{Inviata, Reject, []State{Respinta}},
		{InLavorazione, Reject, []State{Respinta}},
		{Inviata, Cancel, []State{Annullata}},
		{InLavorazione, Cancel, []State{Annullata}},
		{Inviata, AddNote, []State{Inviata}},
		{InLavorazione, AddNote, []State{InLavorazione}},
	} {
		got := Steps(tc.from, tc.a)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Steps(%s, %s) = %v, want %v", tc.from, tc.a, got, tc.want)
		}
		if last := got[len(got)-1]; last != Next(tc.from, tc.a) {
			t.Errorf("Steps(%s, %s) ends in %s, Next says %s", tc.from, tc.a, last, Next(tc.from, tc.a))
		}
		if !AllowedIn(tc.from, tc.a) {
			t.Errorf("%s from %s is a step of a refused action", tc.a, tc.from)
		}
		for _, s := range got {
			if !s.Valid() {
				t.Errorf("Steps(%s, %s): invalid state %q", tc.from, tc.a, s)
			}
		}
	}
	// Every action allowed in an open state leads to a state from which
	// the practice can still only close, never reopen.
	for _, s := range ToDo {
		for _, a := range Actions {
			if AllowedIn(s, a) && Next(s, a) == Inviata && s != Inviata {
				t.Errorf("%s from %s goes back to INVIATA", a, s)
			}
		}
	}
}

func TestStatesAndKinds(t *testing.T) {
	for _, tc := range []struct {
		s             State
		valid, closed bool
		label         string
	}{
		{Inviata, true, false, "Inviata"},
		{InLavorazione, true, false, "In lavorazione"},
		{Validata, true, true, "Validata"},
		{Respinta, true, true, "Respinta"},
		{Annullata, true, true, "Annullata"},
		{"BOZZA", false, false, "BOZZA"},
		{"", false, false, ""},
		{"inviata", false, false, "inviata"},
	} {
		if tc.s.Valid() != tc.valid || tc.s.IsClosed() != tc.closed || tc.s.Label() != tc.label {
			t.Errorf("%q: Valid %v IsClosed %v Label %q", tc.s, tc.s.Valid(), tc.s.IsClosed(), tc.s.Label())
		}
	}
	if len(ToDo)+len(Closed) != 5 {
		t.Errorf("the tabs cover %d states", len(ToDo)+len(Closed))
	}
	for _, s := range Closed {
		if !s.IsClosed() || slices.Contains(ToDo, s) {
			t.Errorf("%s in the wrong tab", s)
		}
	}
	for _, tc := range []struct {
		k     SubmitterKind
		valid bool
		label string
	}{
		{SubmitterDoctor, true, "Medico"}, {SubmitterCitizen, true, "Cittadino"},
		{SubmitterDelegate, true, "Delegato"}, {SubmitterOperator, true, "Operatore"},
		{"medico", false, "medico"}, {"", false, ""},
	} {
		if tc.k.Valid() != tc.valid || tc.k.Label() != tc.label {
			t.Errorf("%q: Valid %v Label %q", tc.k, tc.k.Valid(), tc.k.Label())
		}
	}
}

func TestCheckInputTable(t *testing.T) {
	base := Command{Action: AddNote, Actor: opTO3, RequestID: "r-1", BeneficiaryNote: "nota"}
	for _, tc := range []struct {
		name string
		f    func(*Command)
		code string
	}{
		{"plain", func(*Command) {}, ""},
		{"newline and tab in notes", func(c *Command) { c.BeneficiaryNote, c.InternalNote = "riga 1\nriga 2\tfine", "a\nb" }, ""},
		{"accents and emoji", func(c *Command) { c.BeneficiaryNote = "perché 👍 «così»" }, ""},
		{"NUL in a note", func(c *Command) { c.BeneficiaryNote = "a\x00b" }, CodeBadText},
		{"CR in a note", func(c *Command) { c.InternalNote = "a\rb" }, CodeBadText},
		{"escape in a note", func(c *Command) { c.InternalNote = "\x1b[31m" }, CodeBadText},
		{"DEL in a note", func(c *Command) { c.InternalNote = "a\x7f" }, CodeBadText},
		{"C1 control (NEL) in a note", func(c *Command) { c.InternalNote = "a\u0085b" }, CodeBadText},
		{"line separator in a note", func(c *Command) { c.BeneficiaryNote = "a\u2028b" }, CodeBadText},
		{"byte order mark in a note", func(c *Command) { c.BeneficiaryNote = "\ufeffnota" }, CodeBadText},
		{"invalid UTF-8 in a note", func(c *Command) { c.BeneficiaryNote = "a\xffb" }, CodeBadText},
		{"newline in the request id", func(c *Command) { c.RequestID = "r\n1" }, CodeBadText},
		{"tab in the reason code", func(c *Command) { c.ReasonCode = "A\tB" }, CodeBadText},
		{"invalid UTF-8 in the fiscal code", func(c *Command) { c.Actor.FiscalCode = "\xc3" }, CodeBadText},
		{"NUL in the actor's ASL", func(c *Command) { c.Actor.ASL = "010203\x00" }, CodeBadText},
		{"request id of 200 bytes", func(c *Command) { c.RequestID = strings.Repeat("k", MaxRequestIDLength) }, ""},
		{"request id of 201 bytes", func(c *Command) { c.RequestID = strings.Repeat("k", MaxRequestIDLength+1) }, CodeBadRequest},
		{"request id of 101 two-byte characters", func(c *Command) { c.RequestID = strings.Repeat("è", 101) }, CodeBadRequest},
		{"reason code of 60 bytes", func(c *Command) { c.ReasonCode = strings.Repeat("A", MaxReasonCodeLength) }, ""},
		{"reason code of 61 bytes", func(c *Command) { c.ReasonCode = strings.Repeat("A", MaxReasonCodeLength+1) }, CodeReasonUnknown},
		{"bad text before length", func(c *Command) { c.RequestID = strings.Repeat("\x00", 300) }, CodeBadText},
		{"empty request id is Check's business", func(c *Command) { c.RequestID = "" }, ""},
	} {
		c := base
		tc.f(&c)
		r := CheckInput(c)
		got := ""
		if r != nil {
			got = r.Code
		}
		if got != tc.code {
			t.Errorf("%s: CheckInput = %v, want %q", tc.name, r, tc.code)
		}
	}
}

func TestValidTextTable(t *testing.T) {
	for _, tc := range []struct {
		s                 string
		single, multiline bool
	}{
		{"", true, true},
		{"Mario Rossi", true, true},
		{"D'Angelo – Né", true, true},
		{"a\nb", false, true},
		{"a\tb", false, true},
		{"a\r\nb", false, false},
		{"\x00", false, false},
		{"\x1f", false, false},
		{"\x7f", false, false},
		{"\u0080", false, false},
		{"\u009f", false, false},
		{"\u00a0", true, true}, // no-break space is text
		{"\u2028", false, false},
		{"\u2029", false, false},
		{"\ufeff", false, false},
		{"\ufffd", true, true},         // the replacement character itself is valid text here
		{"\xed\xa0\x80", false, false}, // a surrogate half is invalid UTF-8
		{"\xc0\xaf", false, false},     // overlong encoding
	} {
		if got := ValidText(tc.s, false); got != tc.single {
			t.Errorf("ValidText(%q, false) = %v", tc.s, got)
		}
		if got := ValidText(tc.s, true); got != tc.multiline {
			t.Errorf("ValidText(%q, true) = %v", tc.s, got)
		}
	}
}

func TestNumberTable(t *testing.T) {
	for _, tc := range []struct {
		year    int
		asl     string
		counter int64
		want    string
	}{
		{2024, "010211", 23, "202401021100000023"},
		{2000, "000000", 1, "200000000000000001"},
		{9999, "999999", MaxCounter, "999999999999999999"},
		{1999, "010211", 1, ""},
		{10000, "010211", 1, ""},
		{2024, "10211", 1, ""},
		{2024, "0102111", 1, ""},
		{2024, "01021a", 1, ""},
		{2024, "", 1, ""},
		{2024, "010211", 0, ""},
		{2024, "010211", -1, ""},
		{2024, "010211", MaxCounter + 1, ""},
	} {
		got, err := FormatNumber(tc.year, tc.asl, tc.counter)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("FormatNumber(%d, %q, %d) = %q, %v; want %q", tc.year, tc.asl, tc.counter, got, err, tc.want)
			continue
		}
		if tc.want == "" {
			continue
		}
		n, err := ParseNumber(got)
		if err != nil || n != (Number{tc.year, tc.asl, tc.counter}) {
			t.Errorf("ParseNumber(%q) = %+v, %v", got, n, err)
		}
		if len(got) != NumberLength || WorkflowID(got) != "pratica-"+got {
			t.Errorf("%q: length or workflow ID", got)
		}
	}
	for _, s := range []string{
		"", "20240102110000002", "2024010211000000233", "202401021100000000", "199901021100000001",
		"2024010211000000a3", "+20401021100000023", "２０２４01021100000023", " 202401021100000023",
	} {
		if n, err := ParseNumber(s); err == nil {
			t.Errorf("ParseNumber(%q) = %+v, want an error", s, n)
		}
	}
}

func TestCheckReasonCodeTable(t *testing.T) {
	calls := 0
	configured := func(code string) bool { calls++; return code == "DOCUMENTAZIONE_INCOMPLETA" }
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"", true},
		{"DOCUMENTAZIONE_INCOMPLETA", true},
		{"DOCUMENTAZIONE_INCOMPLETA ", false},
		{"documentazione_incompleta", false},
		{"ALTRA", false},
	} {
		r := CheckReasonCode(Command{Action: Reject, ReasonCode: tc.code}, configured)
		if (r == nil) != tc.ok || (r != nil && r.Code != CodeReasonUnknown) {
			t.Errorf("%q: %v", tc.code, r)
		}
	}
	// A malformed code is refused without asking the configuration.
	calls = 0
	CheckReasonCode(Command{ReasonCode: "<script>"}, configured)
	if calls != 0 {
		t.Error("the configured list was asked about a malformed code")
	}
}

func TestSanitized(t *testing.T) {
	r := Record{
		BeneficiaryFirstName: "Ma\x00rio", BeneficiaryLastName: "Ro\xffssi",
		Events: []Event{{BeneficiaryNote: "riga\nsotto\tcol", InternalNote: "a\x1bb", ReasonCode: "OK"}},
	}
	s := r.Sanitized()
	for _, tc := range []struct{ got, want string }{
		{s.BeneficiaryFirstName, "Ma\uFFFDrio"},
		{s.BeneficiaryLastName, "Ro\uFFFDssi"},
		{s.Events[0].BeneficiaryNote, "riga\nsotto\tcol"},
		{s.Events[0].InternalNote, "a\uFFFDb"},
		{s.Events[0].ReasonCode, "OK"},
	} {
		if tc.got != tc.want {
			t.Errorf("sanitized %q, want %q", tc.got, tc.want)
		}
	}
	if r.BeneficiaryFirstName != "Ma\x00rio" || r.Events[0].InternalNote != "a\x1bb" {
		t.Error("Sanitized changed the original record")
	}
}
