package exemption

import "fmt"

// MaxEndDateYears bounds an exemption's end date: at most this many years
// after today. The longest finite duration of the catalogue is 5 years; a
// renewal may reach twice that, anything later is a typing error (such as
// 31/12/9999), not a decision. An exemption meant not to expire has no end
// date instead.
const MaxEndDateYears = 10

// EarliestDocumentDate is the earliest issue date a document may carry:
// older dates are typing errors (year 0000, 1026).
var EarliestDocumentDate = NewDate(1900, 1, 1)

// MaxDocumentValidityYears bounds a document's "valid until" date: at most
// this many years after today.
const MaxDocumentValidityYears = 50

// Stable codes of date problems.
const (
	CodeEndDateTooLate     = "exemption.end_date_too_late"
	CodeEndDateBeforeIssue = "exemption.end_date_before_issue"
	CodeIssueDateInFuture  = "document.issue_date_in_future"
	CodeIssueDateTooOld    = "document.issue_date_too_old"
	CodeValidUntilBadRange = "document.valid_until_out_of_range"
)

// DateProblem is a refused date: a stable code and an Italian message.
type DateProblem struct {
	Code, Message string
}

func (p *DateProblem) Error() string { return p.Message }

// LatestEndDate is the latest end date allowed on today.
func LatestEndDate(today Date) Date { return today.AddDate(MaxEndDateYears, 0, 0) }

// CheckEndDate checks a new end date of an exemption issued on issuedOn
// (zero: not known yet, as in the wizard): not later than LatestEndDate,
// and not before the issue date (the rule the exemption workflow already
// applies, with the same message). Today or earlier is a revocation and is
// allowed here; the caller decides whether it wants one.
//
// The exemption workflow's change validator must call it too (with
// workflow.Now's date), so that a signal or update from any client obeys
// the same bound.
func CheckEndDate(end, today, issuedOn Date) *DateProblem {
	if latest := LatestEndDate(today); end.After(latest) {
		return &DateProblem{CodeEndDateTooLate, fmt.Sprintf(
			"La data di fine validità non può superare di oltre %d anni la data odierna (al più tardi il %s). Per un'esenzione che non scade scegli «Senza scadenza».",
			MaxEndDateYears, latest.Format("02/01/2006"))}
	}
	if !issuedOn.IsZero() && end.Before(issuedOn) {
		return &DateProblem{CodeEndDateBeforeIssue, fmt.Sprintf(
			"La data di fine validità non può precedere la data di emissione (%s).", issuedOn.Format("02/01/2006"))}
	}
	return nil
}

// CheckDocumentDates checks the dates of a document: the issue date not in
// the future nor before EarliestDocumentDate; the validity date, if any,
// not before the issue date nor more than MaxDocumentValidityYears after
// today. Problems are keyed by "issuedOn" and "validUntil".
func CheckDocumentDates(issuedOn, validUntil *Date, today Date) map[string]*DateProblem {
	out := map[string]*DateProblem{}
	if issuedOn != nil {
		switch {
		case issuedOn.After(today):
			out["issuedOn"] = &DateProblem{CodeIssueDateInFuture, "La data di rilascio non può essere nel futuro."}
		case issuedOn.Before(EarliestDocumentDate):
			out["issuedOn"] = &DateProblem{CodeIssueDateTooOld, fmt.Sprintf(
				"La data di rilascio non è plausibile: deve essere dal %s in poi.", EarliestDocumentDate.Format("02/01/2006"))}
		}
	}
	if validUntil != nil {
		latest := today.AddDate(MaxDocumentValidityYears, 0, 0)
		switch {
		case issuedOn != nil && validUntil.Before(*issuedOn):
			out["validUntil"] = &DateProblem{CodeValidUntilBadRange, "La data di validità non può precedere la data di rilascio."}
		case validUntil.After(latest):
			out["validUntil"] = &DateProblem{CodeValidUntilBadRange, fmt.Sprintf(
				"La data di validità non è plausibile: al più tardi il %s.", latest.Format("02/01/2006"))}
		case validUntil.Before(EarliestDocumentDate):
			out["validUntil"] = &DateProblem{CodeValidUntilBadRange, "La data di validità non è plausibile."}
		}
	}
	return out
}
