// Package workflows holds the deterministic workflow code: one PracticeWorkflow
// per practice and one ExemptionWorkflow per issued exemption. Every side
// effect lives in package activities.
package workflows

import (
	"esenzioni/domain/practice"
)

// Workflow type names.
const (
	PracticeWorkflowName  = "PracticeWorkflow"
	ExemptionWorkflowName = "ExemptionWorkflow"
)

// Query names.
const (
	// QueryState returns the full state (practice or exemption, history,
	// notes, refused signals).
	QueryState = "state"
)

// Practice update and signal names: the same name is both an Update (what
// the web sends, with a validator) and a Signal (what a supervisor sends from
// the Temporal UI or CLI), handled by the same code.
const (
	MsgTake     = "take"
	MsgValidate = "validate"
	MsgReject   = "reject"
	MsgCancel   = "cancel"
	MsgNote     = "note"
)

// ActionMessages maps each practice action to its message name.
var ActionMessages = map[practice.Action]string{
	practice.Take:     MsgTake,
	practice.Validate: MsgValidate,
	practice.Reject:   MsgReject,
	practice.Cancel:   MsgCancel,
	practice.AddNote:  MsgNote,
}

// Exemption update and signal names.
const (
	// MsgChangeEndDate renews, shortens or revokes (end date today or
	// earlier) an exemption.
	MsgChangeEndDate = "change-end-date"
	// MsgAddDocuments records documents added without changing dates.
	MsgAddDocuments = "add-documents"
)
