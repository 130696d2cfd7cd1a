package store

// ReconcileReport says what a reconciliation of the read model with the
// workflows looked at and what it changed (service.Reconciler, run by
// `esenzioni reindex` and by the reconciliation workflow through its
// activity, whose result it is).
type ReconcileReport struct {
	Practices         int      `json:"practices"`
	PracticesChanged  []string `json:"practicesChanged,omitempty"` // numbers
	Exemptions        int      `json:"exemptions"`
	ExemptionsChanged []string `json:"exemptionsChanged,omitempty"` // ids
	// Missing are open practices of the read model with no workflow (its
	// history was lost): reported, left as they are.
	Missing []string `json:"missing,omitempty"`
}
