package practice

import (
	"strings"
	"testing"
)

func TestCheckReasonCode(t *testing.T) {
	configured := func(code string) bool {
		return code == "REQUISITI_NON_SUFFICIENTI" || code == "DOCUMENTAZIONE_INCOMPLETA"
	}
	for _, tc := range []struct {
		action Action
		code   string
		ok     bool
	}{
		{AddNote, "", true},
		{Reject, "REQUISITI_NON_SUFFICIENTI", true},
		{AddNote, "DOCUMENTAZIONE_INCOMPLETA", true},
		{AddNote, strings.Repeat("A", 5000), false},
		{AddNote, "INVENTATA", false},
		{Take, "requisiti_non_sufficienti", false},
		{Reject, "<script>", false},
	} {
		r := CheckReasonCode(Command{Action: tc.action, ReasonCode: tc.code}, configured)
		if tc.ok {
			if r != nil {
				t.Errorf("%s %q: refused: %v", tc.action, tc.code, r)
			}
		} else if r == nil || r.Code != CodeReasonUnknown {
			t.Errorf("%s %.20q: got %v, want %s", tc.action, tc.code, r, CodeReasonUnknown)
		}
	}
}
