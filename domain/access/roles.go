// Package access defines who is who: the roles of operators and submitters,
// and the scope rule every screen, API call and workflow applies (an ASL
// operator sees and acts on their ASL only; regional roles see everything).
package access

// Role is a profile's role, as written in the cronologia.
type Role string

// Operator roles (ASL back office and the region).
const (
	// OperatoreASL is district administrative staff.
	OperatoreASL Role = "OPERATORE_ASL_DISTRETTO"
	// MedicoASL is a district doctor; sees internal notes like operators.
	MedicoASL Role = "MEDICO_SPECIALISTA_ASL_DISTRETTO"
	// Amministratore is a regional administrator: every ASL, the audit export,
	// and the payload codec for the Temporal UI.
	Amministratore Role = "AMMINISTRATORE"
)

// Submitter roles (the intake API).
const (
	MedicoSpecialista Role = "MEDICO_SPECIALISTA"
	Cittadino         Role = "CITTADINO"
	Delegato          Role = "DELEGATO"
	// Sistema is the application itself (timers: expiry, reminders).
	Sistema Role = "SISTEMA"
)

// Label is the Italian name shown in the profile panel.
func (r Role) Label() string {
	switch r {
	case OperatoreASL:
		return "Operatore amministrativo ASL"
	case MedicoASL:
		return "Medico di distretto ASL"
	case Amministratore:
		return "Amministratore regionale"
	case MedicoSpecialista:
		return "Medico specialista"
	case Cittadino:
		return "Cittadino"
	case Delegato:
		return "Delegato"
	case Sistema:
		return "Sistema"
	}
	return string(r)
}

// Operator reports whether the role belongs to back-office staff.
func (r Role) Operator() bool {
	return r == OperatoreASL || r == MedicoASL || r == Amministratore
}

// Regional reports whether the role sees every ASL.
func (r Role) Regional() bool { return r == Amministratore }

// SeesInternalNotes: ASL staff and the submitting doctor see the internal
// note; citizens and delegates never do (manual, chapter 4).
func (r Role) SeesInternalNotes() bool {
	return r.Operator() || r == MedicoSpecialista
}

// InScope reports whether an actor of role in actorASL may see or act on a
// record of recordASL. ASL codes are the 6-digit Ministry codes.
func InScope(role Role, actorASL, recordASL string) bool {
	if role.Regional() {
		return true
	}
	return role.Operator() && actorASL != "" && actorASL == recordASL
}

// Actor is whoever performs an action: recorded in the cronologia and checked
// by the workflows.
type Actor struct {
	FiscalCode string `json:"fiscalCode"`
	Role       Role   `json:"role"`
	ASL        string `json:"asl,omitempty"` // Ministry code; empty for regional roles and submitters
}
