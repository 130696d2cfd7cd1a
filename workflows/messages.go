package workflows

import (
	"fmt"
	"time"

	"esenzioni/domain/exemption"
)

// The Italian texts the workflows show to people, in one place: refusals,
// event notes, and what supervisors read in the Temporal UI (summaries,
// current details). Refusals answer updates and, for signals, are recorded
// in the state and from there in the read model; notes are written to the
// cronologia. Both are data once recorded: the legacy code (*_legacy.go)
// uses the texts it shares with the durable path, which must stay
// byte-identical; change the others knowingly. Formats are constants, so
// that go vet checks their arguments.

// Refusals of a command of either kind.
const (
	msgBadSignal   = "Comando rifiutato: l'argomento del segnale non è un comando valido."
	msgUnencrypted = "Comando rifiutato: il contenuto non è cifrato (usa l'endpoint del codec)."
	msgNoCaller    = "Comando rifiutato: manca l'identità del supervisore (invia il segnale attraverso l'endpoint del codec)."
)

// Refusals of a practice command (the rules' own are in domain/practice).
const (
	msgEndDateOrNone = "Indica una data di fine validità oppure «senza scadenza», non entrambe."
	msgReasonUnknown = "Motivazione %q non presente nell'elenco configurato."
)

// Refusals of an exemption change (the legacy code shares those it had).
const (
	msgExemptionBusy       = "L'esenzione è in fase di aggiornamento da parte di un altro operatore: riprova."
	msgNoRequestID         = "Richiesta senza chiave di idempotenza."
	msgBadText             = "Il testo contiene caratteri non ammessi (caratteri di controllo o codifica non valida)."
	msgNoteTooLong         = "La nota non può superare %d caratteri."
	msgBadDocumentID       = "Identificativo di documento non valido."
	msgExemptionClosed     = "L'esenzione è %s: non può essere modificata."
	msgExemptionScope      = "Solo gli operatori dell'ASL di residenza dell'assistito possono modificare l'esenzione."
	msgExemptionStale      = "L'esenzione è stata modificata da un altro operatore: ricarica la pagina."
	msgNewEndDateOrNone    = "Indica una nuova data di fine validità oppure «senza scadenza», non entrambe."
	msgNewEndDate          = "Indica la nuova data di fine validità."
	msgLegacyBeforeIssueOn = "La data di fine validità non può precedere la data di emissione (%s)." // legacy runs only
)

// noteDocuments is the note of an exemption change that added n documents.
func noteDocuments(n int) string {
	if n == 1 {
		return "1 documento allegato"
	}
	return fmt.Sprintf("%d documenti allegati", n)
}

// legacyNoteDocuments is noteDocuments as the legacy runs wrote it.
func legacyNoteDocuments(n int) string { return fmt.Sprintf("%d documenti allegati", n) }

// noteReminder is the note of a reminder event: the offset it warned about,
// then one outcome below.
func noteReminder(offset time.Duration) string {
	return fmt.Sprintf("Promemoria di scadenza (%s prima)", humanOffset(offset))
}

// noteReminderExpired ends the note of a reminder not sent in time.
const noteReminderExpired = ": non inviato, l'esenzione è scaduta"

// reminderOutcome ends the note of a reminder with what became of the email
// and of the operators' notification (a failed notification must not stop
// the lifecycle: it is in the activity's failures and here).
func reminderOutcome(emailErr error, sent bool, notifyErr error) string {
	var s string
	switch {
	case emailErr != nil:
		s = ": email non inviata"
	case !sent:
		s = ": nessun indirizzo email noto"
	default:
		s = ": email inviata"
	}
	if notifyErr != nil {
		s += "; notifica agli operatori non registrata"
	}
	return s
}

// humanOffset renders a reminder offset: whole days in Italian, a shorter
// one (demos) as a duration.
func humanOffset(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		days := int(d / (24 * time.Hour))
		if days == 1 {
			return "1 giorno"
		}
		return fmt.Sprintf("%d giorni", days)
	}
	return d.String()
}

// joinNote appends b to the operator's note a.
func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + " · " + b
}

// exemptionSummary is the static summary of a practice's exemption workflow
// in the Temporal UI: no personal data.
func exemptionSummary(id int64, code, number string) string {
	return fmt.Sprintf("Esenzione %d · %s · pratica %s", id, code, number)
}

// exemptionDetails is the current details text of the Temporal UI.
func exemptionDetails(st ExemptionState) string {
	end := "senza scadenza"
	if st.EndDate != nil {
		end = "fino al " + st.EndDate.Format("02/01/2006")
	}
	s := fmt.Sprintf("**Esenzione %d** · codice %s · ASL %s · **%s** %s · versione %d · registro: versione %d",
		st.ID, st.ExemptionCode, st.ASLShort, st.State, end, st.Version, st.PublishedVersion)
	if st.PublishedVersion < st.Version {
		s += " · **pubblicazione in attesa**"
		if !st.PublishingSince.IsZero() {
			s += " dal " + st.PublishingSince.In(exemption.Rome).Format("02/01/2006 15:04") + " (ultimo errore tra le Pending Activities)"
		}
	}
	if n := len(st.RemindersDue); n > 0 {
		s += fmt.Sprintf(" · promemoria in invio: %d", n)
	}
	if n := len(st.Refused); n > 0 {
		r := st.Refused[n-1]
		s += fmt.Sprintf("\n\nUltimo comando rifiutato (%s): %s — %s", r.At.In(exemption.Rome).Format("02/01/2006 15:04"), r.Code, r.Message)
	}
	return s
}

// practiceDetails is the current details line of the Temporal UI.
func practiceDetails(st PracticeState) string {
	s := fmt.Sprintf("**Pratica %s** · codice %s · ASL %s · stato **%s** dal %s · versione %d",
		st.Input.Number, st.Input.ExemptionCode, st.Input.ASLShort, st.State,
		st.StateSince.In(exemption.Rome).Format("02/01/2006 15:04"), st.Version)
	if st.Exemption != nil {
		s += fmt.Sprintf(" · esenzione %d", st.Exemption.ID)
	}
	if n := len(st.Refused); n > 0 {
		r := st.Refused[n-1]
		s += fmt.Sprintf("\n\nUltimo comando rifiutato (%s, %s): %s — %s",
			r.Action, r.At.In(exemption.Rome).Format("02/01/2006 15:04"), r.Code, r.Message)
	}
	return s
}
