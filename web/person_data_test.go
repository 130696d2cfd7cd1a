package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/store"
)

// TestSubmitterSystemsNeverChangeThePersonRegistry: the citizens' portal
// cannot set the email (or anything else) of an existing person; what it
// states differently is kept on the practice and shown to the operator;
// bad data are refused with a field code, and nothing is stored (issue 12,
// point 2).
func TestSubmitterSystemsNeverChangeThePersonRegistry(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	person := e.Person("ANNA", "GALLO", apptest.ASLTO3, "") // no email
	portal := apiClient{t, e.URL, e.APIClient("portale", []practice.SubmitterKind{practice.SubmitterCitizen}, "")}
	submit := func(beneficiary map[string]any, code, diag string) (int, map[string]any) {
		t.Helper()
		status, body, _ := portal.do("POST", "/api/v1/practices", map[string]any{
			"submitter":   map[string]any{"kind": "CITTADINO", "fiscalCode": apptest.FiscalCode("PORTALE", "UTENTE", 'M')},
			"beneficiary": beneficiary, "exemptionCode": code, "diagnosisCode": diag})
		return status, body
	}
	registry := func(fc string) store.Beneficiary {
		b, err := e.Store().Beneficiary(ctx, fc)
		require.NoError(t, err)
		return b
	}

	t.Run("existing person: invalid email refused", func(t *testing.T) {
		for _, email := range []string{"not-an-email", "anna@example.it\r\nBcc: tutti@example.it", "Anna <anna@example.it>"} {
			status, body := submit(map[string]any{"fiscalCode": person.FiscalCode, "email": email}, "044", "2960")
			require.Contains(t, []int{400, 422}, status, email)
			require.Contains(t, []string{"email.invalid", "text.control_characters", "input.invalid_characters"}, fieldCodes(body)["beneficiary.email"], "%q: %v", email, body)
		}
		require.Empty(t, registry(person.FiscalCode).Email)
	})

	var number string
	t.Run("existing person: differences kept on the practice, registry unchanged", func(t *testing.T) {
		status, body := submit(map[string]any{"fiscalCode": person.FiscalCode, "email": "anna.gallo@example.it",
			"firstName": "Annamaria", "residenceAddress": "Via Nuova 3"}, "044", "2960")
		require.Equal(t, 201, status, "%v", body)
		number = body["number"].(string)
		after := registry(person.FiscalCode)
		require.Empty(t, after.Email, "the portal does not set the email")
		require.Equal(t, "ANNA", after.FirstName)
		require.Equal(t, person.ResidenceAddress, after.ResidenceAddress)
		diffs, err := e.Store().SubmittedDifferences(ctx, number)
		require.NoError(t, err)
		got := map[string][2]string{}
		for _, d := range diffs {
			got[d.Field] = [2]string{d.Submitted, d.Registry}
		}
		require.Equal(t, map[string][2]string{
			"email":            {"anna.gallo@example.it", ""},
			"firstName":        {"ANNAMARIA", "ANNA"},
			"residenceAddress": {"VIA NUOVA 3", person.ResidenceAddress},
		}, got)

		e.WaitPractice(number, func(store.Practice) bool { return true })
		s := newOpSession(t, e.URL, "operatore.to3")
		code, page := s.get("/pratiche/" + number)
		require.Equal(t, 200, code)
		box := between(page, `data-testid="differenze-anagrafe"`, `</table>`)
		require.Contains(t, box, "anna.gallo@example.it")
		require.Contains(t, box, "ANNAMARIA")
		require.Contains(t, box, "Email")
	})

	torino, _ := places.Default().Find("TORINO", "TO")
	birth := time.Date(1975, 3, 12, 0, 0, 0, 0, time.UTC)
	newFC := fiscalcode.Generate("MORETTI", "ELENA", birth, 'F', torino.Code)
	t.Run("new person: data must agree with the fiscal code and be clean", func(t *testing.T) {
		base := func() map[string]any {
			return map[string]any{"fiscalCode": newFC, "firstName": "Elena", "lastName": "Moretti", "aslCode": apptest.ASLTO3}
		}
		cases := []struct {
			name, field, code string
			mutate            func(map[string]any)
		}{
			{"names of another person", "beneficiary.lastName", "name.fiscal_code_mismatch", func(b map[string]any) { b["lastName"] = "Rossi" }},
			{"script name", "beneficiary.lastName", "name.invalid_characters", func(b map[string]any) { b["lastName"] = "<SCRIPT>alert(1)</SCRIPT>" }},
			{"100 KB surname", "beneficiary.lastName", "text.too_long", func(b map[string]any) { b["lastName"] = strings.Repeat("MORETTI", 15000) }},
			{"email with CRLF", "beneficiary.email", "text.control_characters", func(b map[string]any) { b["email"] = "e@example.it\r\nBcc: x@example.it" }},
			{"bad email", "beneficiary.email", "email.invalid", func(b map[string]any) { b["email"] = "not-an-email" }},
			{"birth date", "beneficiary.birthDate", "birth_date.fiscal_code_mismatch", func(b map[string]any) { b["birthDate"] = "1975-03-13" }},
			{"sex", "beneficiary.sex", "sex.fiscal_code_mismatch", func(b map[string]any) { b["sex"] = "M" }},
			{"birthplace", "beneficiary.birthPlaceCode", "birth_place.fiscal_code_mismatch", func(b map[string]any) { b["birthPlaceCode"] = "H501" }},
			{"address with a newline", "beneficiary.residenceAddress", "text.control_characters", func(b map[string]any) { b["residenceAddress"] = "Via Roma 1\nBcc: x" }},
		}
		for _, tc := range cases {
			b := base()
			tc.mutate(b)
			status, body := submit(b, "044", "2960")
			// The input guard (400, input.*) refuses control characters and
			// oversized text before the domain rules (422) see them.
			if status == 400 {
				require.Equal(t, guardCodes[tc.code], fieldCodes(body)[tc.field], "%s: %v", tc.name, body)
			} else {
				require.Equal(t, 422, status, tc.name)
				require.Equal(t, tc.code, fieldCodes(body)[tc.field], "%s: %v", tc.name, body)
			}
			_, err := e.Store().Beneficiary(ctx, newFC)
			require.ErrorIs(t, err, store.ErrNotFound, "%s: nothing stored", tc.name)
		}
	})

	t.Run("new person: omocodia, birth data stated, all agreeing", func(t *testing.T) {
		omo := newFC[:14] + string("LMNPQRSTUV"[newFC[14]-'0'])
		omo += string(fiscalcode.CheckChar(omo))
		status, body := submit(map[string]any{"fiscalCode": omo, "firstName": "Elena", "lastName": "Moretti",
			"aslCode": apptest.ASLTO3, "birthDate": "1975-03-12", "sex": "F", "birthPlaceCode": torino.Code,
			"email": "elena.moretti@example.it"}, "044", "2960")
		require.Equal(t, 201, status, "%v", body)
		b := registry(omo)
		require.Equal(t, "MORETTI", b.LastName)
		require.Equal(t, "elena.moretti@example.it", b.Email)
	})
}

// guardCodes: the input guard's code for a domain text refusal it makes first.
var guardCodes = map[string]string{
	"text.control_characters": "input.invalid_characters",
	"text.too_long":           "input.too_long",
}
