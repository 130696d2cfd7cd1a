package demo

import (
	"time"

	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
)

// Identity is a demo operator as identity providers and certificates know
// them: the SPID/CIE login of the local provider and the CNS-like
// certificates of the demo CA carry the same fiscal code as the account.
type Identity struct {
	Username    string // "" for a person without an operator account
	FiscalCode  string
	GivenName   string
	FamilyName  string
	Description string
}

// Identities returns the demo operators' identities, in the order of the
// banner.
func Identities() []Identity {
	torino, _ := places.Default().Find("TORINO", "TO")
	out := make([]Identity, 0, len(operators))
	for _, o := range operators {
		birth, _ := time.Parse("2006-01-02", o.birth)
		out = append(out, Identity{Username: o.username, FiscalCode: fiscalcode.Generate(o.last, o.first, birth, o.sex, torino.Code),
			GivenName: o.first, FamilyName: o.last, Description: o.desc})
	}
	return out
}

// NoAccount is a person with SPID, CIE and a CNS but no operator account:
// the local provider lists her, to show the refusal.
func NoAccount() Identity {
	torino, _ := places.Default().Find("TORINO", "TO")
	return Identity{FiscalCode: fiscalcode.Generate("BIANCHI", "LUCIA", time.Date(1985, 3, 14, 0, 0, 0, 0, time.UTC), 'F', torino.Code),
		GivenName: "LUCIA", FamilyName: "BIANCHI", Description: "cittadina senza utenza di operatore"}
}
