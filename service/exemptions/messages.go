package exemptions

// The Italian texts of the exemptions service, in one place: errors and
// refusals the web shows, and the Temporal UI summary of a registry
// exemption's workflow (no personal data). Change them knowingly (tests
// assert them). Formats are constants, so that go vet checks their
// arguments.
const (
	msgNotFound         = "esenzione non trovata"
	msgNotStarted       = "%w (esenzione in fase di attivazione)"
	msgClosed           = "L'esenzione è %s: non può essere modificata."
	msgNoLongerEditable = "L'esenzione non è più modificabile."
	summaryRegistry     = "Esenzione %d · %s · dal registro regionale"
)
