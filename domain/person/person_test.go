package person

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esenzioni/domain/fiscalcode"
)

func TestCheckName(t *testing.T) {
	for s, code := range map[string]string{
		"ROSSI":                  "",
		"D'Amico":                "",
		"D’AMICO":                "",
		"De Santis-Bianchi":      "",
		"NICOLÒ":                 "",
		"Müller":                 "",
		"<SCRIPT>":               CodeNameChars,
		"Rossi1":                 CodeNameChars,
		"Rossi\r\nBcc: x":        CodeControl,
		"Rossi\x00":              CodeControl,
		"   ":                    CodeNameChars,
		"'-'":                    CodeNameChars,
		"Иванов":                 CodeNameChars,
		strings.Repeat("A", 60):  "",
		strings.Repeat("A", 61):  CodeTooLong,
		strings.Repeat("A", 1e5): CodeTooLong,
		"\xff\xfe":               CodeControl,
	} {
		p := CheckName("f", "Il cognome", s)
		if code == "" {
			assert.Nil(t, p, "%q", s)
		} else if assert.NotNil(t, p, "%q", s) {
			assert.Equal(t, code, p.Code, "%q", s)
			assert.NotEmpty(t, p.Message)
		}
	}
}

func TestCheckEmail(t *testing.T) {
	ok := []string{"mario.rossi@example.it", "a+b@sub.dominio.it", "x_y-z@a-b.eu"}
	bad := []string{
		"not-an-email", "mario@", "@example.it", "mario@example", "Mario <mario@example.it>",
		"mario@example.it\r\nBcc: tutti@example.it", "mario@example.it\nBcc:x@y.it", "mario rossi@example.it",
		"mario@exa mple.it", "mario@example..it", "mario@.example.it", "\"mario\"@example.it",
		"mario@example.it,altro@example.it", strings.Repeat("a", 65) + "@example.it",
		strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".it", "mario@èxample.it", "(c)mario@example.it",
	}
	for _, s := range ok {
		assert.Nil(t, CheckEmail("e", s), s)
	}
	for _, s := range bad {
		p := CheckEmail("e", s)
		if assert.NotNil(t, p, "%q", s) {
			assert.Contains(t, []string{CodeEmail, CodeControl, CodeTooLong}, p.Code)
		}
	}
}

func TestCheckText(t *testing.T) {
	assert.Nil(t, CheckText("a", "L'indirizzo", "VIA ROMA 1/B, SCALA C", MaxAddressLen))
	assert.Equal(t, CodeControl, CheckText("a", "L'indirizzo", "VIA ROMA\t1", MaxAddressLen).Code)
	assert.Equal(t, CodeTooLong, CheckText("a", "L'indirizzo", strings.Repeat("x", MaxAddressLen+1), MaxAddressLen).Code)
}

func TestCheckAgainstFiscalCode(t *testing.T) {
	birth := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	plain := fiscalcode.Generate("ROSSI", "MARIO", birth, 'M', "H501") // RSSMRA80A01H501U
	// Omocodia: the last digit of the place code written as a letter.
	omo := plain[:14] + "M"
	omo += string(fiscalcode.CheckChar(omo))
	for _, code := range []string{plain, omo} {
		fc, err := fiscalcode.Parse(code, nil)
		require.NoError(t, err, code)
		good := Claimed{FirstName: "Mario", LastName: "Rossi", BirthDate: birth, Sex: "M", BirthPlaceCode: "H501"}
		assert.Empty(t, CheckAgainstFiscalCode(fc, good), code)
		assert.Empty(t, CheckAgainstFiscalCode(fc, Claimed{FirstName: "MARIO", LastName: "ROSSI"}), "birth data optional")

		codes := func(c Claimed) []string {
			var out []string
			for _, p := range CheckAgainstFiscalCode(fc, c) {
				out = append(out, p.Code)
			}
			return out
		}
		assert.Equal(t, []string{CodeNameMismatch}, codes(Claimed{FirstName: "Luigi", LastName: "Rossi"}))
		assert.Equal(t, []string{CodeNameMismatch}, codes(Claimed{FirstName: "Mario", LastName: "<SCRIPT>"}))
		assert.Equal(t, []string{CodeBirthDate, CodeSex, CodeBirthPlace}, codes(Claimed{FirstName: "Mario", LastName: "Rossi",
			BirthDate: birth.AddDate(0, 0, 1), Sex: "F", BirthPlaceCode: "L219"}))
	}
	// A woman: day + 40.
	f, err := fiscalcode.Parse(fiscalcode.Generate("BIANCHI", "GIULIA", birth, 'F', "L219"), nil)
	require.NoError(t, err)
	assert.Empty(t, CheckAgainstFiscalCode(f, Claimed{FirstName: "Giulia", LastName: "Bianchi", BirthDate: birth, Sex: "F", BirthPlaceCode: "L219"}))
}
