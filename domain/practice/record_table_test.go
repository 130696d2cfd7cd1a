package practice

import (
	"testing"
	"time"

	"esenzioni/domain/audit"
)

// Audits: one row per event that came with an audit context, keyed by
// practice and event so that a retried projection writes none twice.
func TestRecordAuditsTable(t *testing.T) {
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	web := &audit.Context{Action: "AZIONE_PRATICA", Address: "10.0.0.1", OperatorASL: "TO3", Channel: audit.ChannelWeb, RequestID: "req-1"}
	signal := &audit.Context{Action: "AZIONE_PRATICA", Address: "temporal", OperatorASL: ""}
	r := Record{Number: "202601020300000001", BeneficiaryFC: citFC, Events: []Event{
		{Seq: 1, At: at, Action: Submit, Actor: doctor, State: Inviata},
		{Seq: 2, At: at, Action: Validate, Actor: opTO3, State: InLavorazione}, // the first of two rows of one validation
		{Seq: 3, At: at.Add(time.Second), Action: Validate, Actor: opTO3, State: Validata, Audit: web},
		{Seq: 4, At: at.Add(time.Minute), Action: AddNote, Actor: admin, State: Validata, Audit: signal},
	}}
	got := r.Audits()
	if len(got) != 2 {
		t.Fatalf("%d audit rows, want 2: %+v", len(got), got)
	}
	for i, tc := range []struct {
		key, fc, role, asl, address, channel, requestID string
		action                                          Action
		at                                              time.Time
	}{
		{"pratica:202601020300000001:3", opTO3.FiscalCode, "OPERATORE_ASL_DISTRETTO", "TO3", "10.0.0.1", "web", "req-1", Validate, at.Add(time.Second)},
		{"pratica:202601020300000001:4", admin.FiscalCode, "AMMINISTRATORE", "", "temporal", "", "", AddNote, at.Add(time.Minute)},
	} {
		a := got[i]
		if a.Key != tc.key || a.OperatorFC != tc.fc || a.OperatorRole != tc.role || a.OperatorASL != tc.asl ||
			a.Address != tc.address || a.RequestID != tc.requestID || !a.At.Equal(tc.at) {
			t.Errorf("row %d: %+v", i, a)
		}
		if a.BeneficiaryFC != citFC || a.Target != r.Number || a.Outcome != audit.OutcomeOK || a.Action != "AZIONE_PRATICA" {
			t.Errorf("row %d: %+v", i, a)
		}
		if a.Detail["azione"] != string(tc.action) {
			t.Errorf("row %d: detail %v", i, a.Detail)
		}
		if ch, ok := a.Detail["canale"]; (tc.channel == "") == ok || (ok && ch != tc.channel) {
			t.Errorf("row %d: channel in detail %v, want %q", i, a.Detail, tc.channel)
		}
	}
	if r.LastSeq() != 4 || (Record{}).LastSeq() != 0 {
		t.Errorf("LastSeq = %d", r.LastSeq())
	}
	if len((Record{Number: "x"}).Audits()) != 0 {
		t.Error("a record without events has audit rows")
	}
}
