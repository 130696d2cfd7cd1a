// Package practice holds the rules of a practice (pratica) as plain Go: its
// states, the operator actions and when each is allowed. The workflow and the
// web layer both call these rules, so a button is shown exactly when the
// workflow would accept the action.
package practice

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/refusal"
)

// State of a practice.
type State string

// States, as in DESIGN section 3.
const (
	Inviata       State = "INVIATA"
	InLavorazione State = "IN_LAVORAZIONE"
	Validata      State = "VALIDATA"
	Respinta      State = "RESPINTA"
	Annullata     State = "ANNULLATA"
)

// ToDo are the states of the "Pratiche da fare" tab; Closed those of
// "Pratiche chiuse", in the order of the manual's filters.
var (
	ToDo   = []State{Inviata, InLavorazione}
	Closed = []State{Annullata, Respinta, Validata}
)

// IsClosed reports whether no further action is possible.
func (s State) IsClosed() bool { return s == Validata || s == Respinta || s == Annullata }

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	switch s {
	case Inviata, InLavorazione, Validata, Respinta, Annullata:
		return true
	}
	return false
}

// Label is the Italian name shown in lists and badges.
func (s State) Label() string {
	switch s {
	case Inviata:
		return "Inviata"
	case InLavorazione:
		return "In lavorazione"
	case Validata:
		return "Validata"
	case Respinta:
		return "Respinta"
	case Annullata:
		return "Annullata"
	}
	return string(s)
}

// Action is what a command does.
type Action string

// Actions. Submit is the intake itself; the others are operator (or
// submitter, for Cancel) commands. The codes are stored (practice_event.action,
// the audit rows' "azione", workflow histories) and, like every stored code,
// Italian, named as in the manual.
const (
	Submit   Action = "INVIO"
	Take     Action = "PRESA_IN_CARICO"
	Validate Action = "VALIDAZIONE"
	Reject   Action = "RESPINGIMENTO"
	Cancel   Action = "ANNULLAMENTO"
	AddNote  Action = "NOTA"
)

// legacyActions are the English codes released up to v3: recorded workflow
// histories, runs started before the change (their events and commands) and
// audit_log rows (append-only, never rewritten) still carry them.
var legacyActions = map[Action]Action{
	"SUBMIT": Submit, "TAKE": Take, "VALIDATE": Validate,
	"REJECT": Reject, "CANCEL": Cancel, "NOTE": AddNote,
}

// Canonical is the current code of a, which may be a legacy English code;
// any other value is returned unchanged. Pure: workflow code applies it to
// what it receives from histories and older runs.
func (a Action) Canonical() Action {
	if c, ok := legacyActions[a]; ok {
		return c
	}
	return a
}

// Actions lists the commands an actor can send, for docs and validation.
var Actions = []Action{Take, Validate, Reject, Cancel, AddNote}

// SubmitterKind says who filled in the practice (compilatore).
type SubmitterKind string

// Submitter kinds.
const (
	SubmitterDoctor   SubmitterKind = "MEDICO"
	SubmitterCitizen  SubmitterKind = "CITTADINO"
	SubmitterDelegate SubmitterKind = "DELEGATO"
	SubmitterOperator SubmitterKind = "OPERATORE"
)

// Label is the Italian name in the "Compilatore" column.
func (k SubmitterKind) Label() string {
	switch k {
	case SubmitterDoctor:
		return "Medico"
	case SubmitterCitizen:
		return "Cittadino"
	case SubmitterDelegate:
		return "Delegato"
	case SubmitterOperator:
		return "Operatore"
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k SubmitterKind) Valid() bool {
	switch k {
	case SubmitterDoctor, SubmitterCitizen, SubmitterDelegate, SubmitterOperator:
		return true
	}
	return false
}

// MaxNoteLength bounds both notes, in characters.
const MaxNoteLength = 2000

// Command is one action on a practice, as sent by the web (an Update) or by a
// supervisor (a Signal).
type Command struct {
	Action          Action       `json:"action"`
	Actor           access.Actor `json:"actor"`
	BeneficiaryNote string       `json:"beneficiaryNote,omitempty"`
	InternalNote    string       `json:"internalNote,omitempty"`
	// ReasonCode is required to reject: a code of the configured list.
	ReasonCode string `json:"reasonCode,omitempty"`
	// ExpectedVersion is the version the operator saw; 0 skips the check
	// (supervisors acting from the CLI do not know it).
	ExpectedVersion int `json:"expectedVersion,omitempty"`
	// RequestID is the idempotency key; the same key is performed once.
	RequestID string `json:"requestId"`
}

// Refusal codes.
const (
	CodeWrongState     = "practice.wrong_state"
	CodeNotAllowed     = "practice.not_allowed"
	CodeOutOfScope     = "practice.out_of_scope"
	CodeStaleVersion   = "practice.stale_version"
	CodeReasonRequired = "practice.reason_required"
	CodeReasonUnknown  = "practice.reason_unknown"
	CodeNoteTooLong    = "practice.note_too_long"
	CodeNoteEmpty      = "practice.note_empty"
	CodeBadRequest     = "practice.bad_request"
	CodeBadText        = "input.invalid_characters"
)

// MaxRequestIDLength bounds idempotency keys.
const MaxRequestIDLength = 200

func refuse(code, format string, args ...any) *refusal.Refusal {
	return refusal.New(code, format, args...)
}

// ConflictMessage is what the other operator reads when someone acted first.
const ConflictMessage = "La pratica è stata modificata da un altro operatore: ricarica la pagina per vedere lo stato attuale."

var reasonCodeRE = regexp.MustCompile(`^[A-Z0-9_]{2,60}$`)

// Subject is what the rules need to know of a practice.
type Subject struct {
	Number        string
	State         State
	Version       int
	ASL           string // Ministry code
	SubmitterFC   string
	SubmitterKind SubmitterKind
}

// Check tells whether cmd may be applied to p. It is pure and cheap: the
// workflow runs it in its Update validators and again before applying.
func Check(p Subject, cmd Command) *refusal.Refusal {
	if cmd.RequestID == "" {
		return refuse(CodeBadRequest, "Richiesta senza chiave di idempotenza.")
	}
	if utf8.RuneCountInString(cmd.BeneficiaryNote) > MaxNoteLength || utf8.RuneCountInString(cmd.InternalNote) > MaxNoteLength {
		return refuse(CodeNoteTooLong, "Le note non possono superare %d caratteri.", MaxNoteLength)
	}
	if !allowedBy(p, cmd.Actor, cmd.Action) {
		if cmd.Actor.Role.Operator() && !access.InScope(cmd.Actor.Role, cmd.Actor.ASL, p.ASL) {
			return refuse(CodeOutOfScope, "La pratica %s non appartiene alla tua ASL.", p.Number)
		}
		return refuse(CodeNotAllowed, "Il profilo %s non può eseguire questa operazione sulla pratica %s.", cmd.Actor.Role.Label(), p.Number)
	}
	if cmd.ExpectedVersion != 0 && cmd.ExpectedVersion != p.Version {
		return refuse(CodeStaleVersion, ConflictMessage)
	}
	if !AllowedIn(p.State, cmd.Action) {
		return refuse(CodeWrongState, "Operazione non consentita: la pratica %s è nello stato %s.", p.Number, p.State.Label())
	}
	switch cmd.Action {
	case Reject:
		if strings.TrimSpace(cmd.ReasonCode) == "" {
			return refuse(CodeReasonRequired, "Per respingere la pratica è obbligatorio scegliere una motivazione.")
		}
		if !reasonCodeRE.MatchString(cmd.ReasonCode) {
			return refuse(CodeReasonUnknown, "Motivazione non riconosciuta.")
		}
	case AddNote:
		if strings.TrimSpace(cmd.BeneficiaryNote) == "" && strings.TrimSpace(cmd.InternalNote) == "" {
			return refuse(CodeNoteEmpty, "Scrivi almeno una nota.")
		}
	}
	return nil
}

// CheckInput refuses text no record may hold (control characters, invalid
// UTF-8) and oversized keys. The workflows run it before Check; it is apart
// from Check because histories recorded before it existed must replay.
func CheckInput(cmd Command) *refusal.Refusal {
	if !ValidText(cmd.BeneficiaryNote, true) || !ValidText(cmd.InternalNote, true) ||
		!ValidText(cmd.ReasonCode, false) || !ValidText(cmd.RequestID, false) ||
		!ValidText(cmd.Actor.FiscalCode, false) || !ValidText(cmd.Actor.ASL, false) {
		return refuse(CodeBadText, "Il testo contiene caratteri non ammessi (caratteri di controllo o codifica non valida).")
	}
	if len(cmd.RequestID) > MaxRequestIDLength {
		return refuse(CodeBadRequest, "Chiave della richiesta troppo lunga (al massimo %d caratteri).", MaxRequestIDLength)
	}
	if len(cmd.ReasonCode) > 60 {
		return refuse(CodeReasonUnknown, "Motivazione non riconosciuta.")
	}
	return nil
}

// AllowedIn reports whether action is possible in state s.
func AllowedIn(s State, a Action) bool {
	switch a {
	case Take:
		return s == Inviata
	case Validate, Reject, Cancel, AddNote:
		return s == Inviata || s == InLavorazione
	}
	return false
}

// allowedBy is the role and scope rule: ASL staff of the practice's ASL (or
// regional staff) may do everything; the submitter may only cancel their own
// practice and never act as an operator.
func allowedBy(p Subject, actor access.Actor, a Action) bool {
	if actor.Role.Operator() {
		return access.InScope(actor.Role, actor.ASL, p.ASL)
	}
	switch actor.Role {
	case access.MedicoSpecialista, access.Cittadino, access.Delegato:
		return a == Cancel && actor.FiscalCode != "" && actor.FiscalCode == p.SubmitterFC
	}
	return false
}

// Allowed lists the actions actor may perform now, for showing buttons.
func Allowed(p Subject, actor access.Actor) []Action {
	var out []Action
	for _, a := range Actions {
		if allowedBy(p, actor, a) && AllowedIn(p.State, a) {
			out = append(out, a)
		}
	}
	return out
}

// Next is the state after action a; validating from INVIATA passes through
// IN_LAVORAZIONE (two history rows), which Steps reports.
func Next(s State, a Action) State {
	switch a {
	case Take:
		return InLavorazione
	case Validate:
		return Validata
	case Reject:
		return Respinta
	case Cancel:
		return Annullata
	}
	return s
}

// Steps are the states written to the cronologia by action a from s: one per
// transition, two for a validation straight from INVIATA (manual, chapter 5).
func Steps(s State, a Action) []State {
	if a == Validate && s == Inviata {
		return []State{InLavorazione, Validata}
	}
	return []State{Next(s, a)}
}

// Event is one row of the cronologia.
type Event struct {
	Seq             int          `json:"seq"`
	At              time.Time    `json:"at"`
	Action          Action       `json:"action"`
	Actor           access.Actor `json:"actor"`
	State           State        `json:"state"`
	BeneficiaryNote string       `json:"beneficiaryNote,omitempty"`
	InternalNote    string       `json:"internalNote,omitempty"`
	ReasonCode      string       `json:"reasonCode,omitempty"`
	// Audit, for actions that came with one, is what the event's audit row
	// needs beyond the event (written with the projection).
	Audit *audit.Context `json:"audit,omitempty"`
}

// MaxReasonCodeLength bounds a reason code (the configured codes are
// short upper-case identifiers).
const MaxReasonCodeLength = 60

// CheckReasonCode checks a command's reason code against the configured
// codes: empty is fine except to reject (Check requires it there), any
// other must be one of configured, whatever the action (a note carrying a
// 5,000-character code is refused). The web layer calls it before the
// workflow; the practice workflow's Update validator and signal handler
// must call it too, with the configured list it reads through its
// RejectReasonExists activity (or a list carried in its input).
func CheckReasonCode(cmd Command, configured func(code string) bool) *refusal.Refusal {
	if cmd.ReasonCode == "" {
		return nil
	}
	if !reasonCodeRE.MatchString(cmd.ReasonCode) || !configured(cmd.ReasonCode) {
		return refuse(CodeReasonUnknown, "Motivazione non riconosciuta: scegli una delle motivazioni dell'elenco.")
	}
	return nil
}
