package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"esenzioni/domain/exemptioncode"
)

// codeOK is a valid exemption code as the catalogue stores it.
type codeOK struct {
	value, family, category, level string
}

// parseCode validates an exemption code written in the canonical (national)
// notation. It returns a reason in English for RowError.
func parseCode(v *exemptioncode.Validator, col, s string) (codeOK, string) {
	if s == "" {
		return codeOK{}, col + " is empty"
	}
	c, err := v.Parse(s)
	if err != nil {
		if n := exemptioncode.Normalize(s); n != strings.ToUpper(s) {
			if _, nerr := v.Parse(n); nerr == nil {
				return codeOK{}, fmt.Sprintf("%s %q is in the HL7 draft notation: write %q", col, s, n)
			}
		}
		return codeOK{}, fmt.Sprintf("%s %q %s", col, s, codeReason(err))
	}
	if c.Value != s {
		return codeOK{}, fmt.Sprintf("%s %q is not written as the code %q", col, s, c.Value)
	}
	return codeOK{value: c.Value, family: c.Family.Key, category: string(c.Family.Category), level: string(c.Level)}, ""
}

// codeReason explains a rejection of package exemptioncode in English (its
// messages are for Italian users).
func codeReason(err error) string {
	var ce *exemptioncode.Error
	if errors.As(err, &ce) {
		switch ce.Code {
		case exemptioncode.CodeUnknownFamily:
			return "belongs to no family of the national table and is not a regional code"
		case exemptioncode.CodeUnknownCode:
			return "is not among the codes of its family in the national table"
		case exemptioncode.CodeFormat:
			return "is not in the format of its family in the national table"
		}
	}
	return "is not a valid exemption code: " + err.Error()
}

// categories are the values of exemption_code.category.
var categories = []string{
	string(exemptioncode.CategoryChronic), string(exemptioncode.CategoryRare),
	string(exemptioncode.CategoryInvalidity), string(exemptioncode.CategoryMaternity),
	string(exemptioncode.CategoryEarlyDiagnosis), string(exemptioncode.CategoryOther),
	string(exemptioncode.CategoryRegional),
}

// ICD-9-CM codes. Diagnoses have three digits before the dot, V codes two,
// E codes three; procedures have two digits (and are not loaded).
var (
	reICDDiagnosisDotted = regexp.MustCompile(`^([0-9]{3}(\.[0-9]{1,2})?|V[0-9]{2}(\.[0-9]{1,2})?|E[0-9]{3}(\.[0-9])?)$`)
	reICDProcedure       = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{1,2})?$`)
	reDiagnosis          = regexp.MustCompile(`^([0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4})$`)
)

// diagnosisReason checks a diagnosis code as the catalogue stores it
// (without the dot); "" when valid.
func diagnosisReason(col, s string) string {
	switch {
	case s == "":
		return col + " is empty"
	case reDiagnosis.MatchString(s):
		return ""
	case reICDDiagnosisDotted.MatchString(s):
		return fmt.Sprintf("%s %q has a dot: write %q", col, s, strings.ReplaceAll(s, ".", ""))
	}
	return fmt.Sprintf("%s %q is not an ICD-9-CM diagnosis code without the dot (3-5 digits, V and 2-4 digits, or E and 3-4 digits)", col, s)
}
