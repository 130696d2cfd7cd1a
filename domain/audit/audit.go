// Package audit holds the shape of the GDPR access log's rows as the layers
// hand them over: the web for what operators see, the workers for what they
// do (an action's row commits with the action's projection).
package audit

import "time"

// Channels an action arrives through.
const (
	ChannelWeb      = "web"      // the operators' interface
	ChannelAPI      = "api"      // the intake API (submitter systems)
	ChannelTemporal = "temporal" // a supervisor's signal from the Temporal UI or CLI
)

// Outcome says how an audited request ended (audit_log.outcome).
type Outcome string

// Outcomes.
const (
	OutcomeOK      Outcome = "OK"
	OutcomeRefused Outcome = "RIFIUTATA" // the rules refused the action (wrong state, stale version, ...)
	OutcomeDenied  Outcome = "NEGATO"    // the operator may not see or do it
	OutcomeError   Outcome = "ERRORE"    // the access failed (e.g. a document that cannot be read)
)

// Action names what a row records (audit_log.action). The log is
// append-only and its rows are never rewritten, so these codes never change:
// a renamed code would split one action's rows in two. New codes are
// Italian.
type Action string

// Audit actions.
const (
	Login            Action = "LOGIN"
	Logout           Action = "LOGOUT"
	SearchPractices  Action = "RICERCA_PRATICHE"
	SearchExemptions Action = "RICERCA_ESENZIONI"
	ViewPractice     Action = "DETTAGLIO_PRATICA"
	ViewHistory      Action = "CRONOLOGIA_PRATICA"
	ViewExemption    Action = "DETTAGLIO_ESENZIONE"
	ViewPerson       Action = "ANAGRAFICA"
	Download         Action = "DOWNLOAD"
	Upload           Action = "CARICAMENTO_DOCUMENTO"
	PracticeAction   Action = "AZIONE_PRATICA"     // an operator's or supervisor's practice action; the practice.Action in the detail
	ExemptionChange  Action = "MODIFICA_ESENZIONE" // renewal, revocation, documents
	APICancel        Action = "ANNULLAMENTO_API"   // a submitter system cancels its practice
	ExportLog        Action = "EXPORT_ACCESSI"
	Codec            Action = "CODEC"     // the Temporal UI's codec endpoint
	CSRF             Action = "CSRF"      // a form without a valid token
	Rectification    Action = "RETTIFICA" // reindex: a row for an action the history does not hold
)

// Context is what a request adds to an action for its audit row, carried by
// the command into the workflow and kept on the event it produced.
type Context struct {
	Action      Action `json:"action"`      // PracticeAction, ExemptionChange, APICancel
	Address     string `json:"address"`     // client address, or the channel for signals
	OperatorASL string `json:"operatorAsl"` // short name of the operator's ASL
	Channel     string `json:"channel,omitempty"`
	RequestID   string `json:"requestId,omitempty"` // the HTTP request's ID, for correlation
}

// Record is one row of the log.
type Record struct {
	// Key makes a worker's write idempotent (nil/empty for rows the web
	// writes once).
	Key           string
	At            time.Time
	OperatorFC    string
	OperatorRole  string
	OperatorASL   string
	BeneficiaryFC string
	Action        Action
	Target        string
	Address       string
	Outcome       Outcome
	Detail        map[string]any
	// RequestID joins the row to the access log of the request that made it.
	RequestID string
}
