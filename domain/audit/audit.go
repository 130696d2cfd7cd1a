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

// Outcomes.
const (
	OutcomeOK      = "OK"
	OutcomeRefused = "RIFIUTATA"
	OutcomeDenied  = "NEGATO"
)

// Context is what a request adds to an action for its audit row, carried by
// the command into the workflow and kept on the event it produced.
type Context struct {
	Action      string `json:"action"`      // audit action name (AZIONE_PRATICA, MODIFICA_ESENZIONE, ...)
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
	Action        string
	Target        string
	Address       string
	Outcome       string
	Detail        map[string]any
	// RequestID joins the row to the access log of the request that made it.
	RequestID string
}
