package activities

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"esenzioni/domain/exemption"
)

// Reminder is one reminder before an exemption's expiry.
type Reminder struct {
	ExemptionID    int64
	PracticeNumber string
	ASL            string
	BeneficiaryFC  string
	ExemptionCode  string
	EndDate        exemption.Date
	// DedupeKey identifies this reminder: the email and the notification
	// are created once for it, however often the activity is retried.
	DedupeKey string
}

// SendReminderEmail emails the beneficiary when an address is known. It
// reports whether an email was (or had already been) sent. The outbox row
// claims the reminder before sending and is marked sent after, so a retry
// after success sends nothing; only a crash between the SMTP answer and the
// mark could send twice.
func (a *Activities) SendReminderEmail(ctx context.Context, r Reminder) (bool, error) {
	b, err := a.Store.BeneficiaryContact(ctx, r.BeneficiaryFC)
	if err != nil {
		return false, err
	}
	if b.Email == "" {
		return false, nil
	}
	if a.Mailer == nil {
		a.logger().Info("reminder email not sent: SMTP not configured", "exemption", r.ExemptionID)
		return false, nil
	}
	code, err := a.Store.ExemptionCodeDescription(ctx, r.ExemptionCode)
	if err != nil {
		return false, err
	}
	subject := fmt.Sprintf("Promemoria: la sua esenzione %s scade il %s", r.ExemptionCode, r.EndDate.Format("02/01/2006"))
	sent, err := a.Store.ClaimEmail(ctx, r.DedupeKey, b.Email, subject)
	if err != nil || sent {
		return sent, err
	}
	body := fmt.Sprintf(`Gentile %s %s,

la sua esenzione per patologia %s - %s scade il %s.

Per il rinnovo si rivolga al distretto della sua ASL di residenza con la documentazione sanitaria aggiornata.

Questo è un messaggio automatico del servizio Esenzioni per patologia: non risponda a questo indirizzo.
`, b.FirstName, b.LastName, r.ExemptionCode, code, r.EndDate.Format("02/01/2006"))
	messageID := "<promemoria-" + strconv.FormatInt(r.ExemptionID, 10) + "-" + sanitizeKey(r.DedupeKey) + "@esenzioni>"
	if err := a.Mailer.Send(ctx, b.Email, subject, body, messageID); err != nil {
		// The error goes into the workflow's history and the Temporal UI:
		// it must not carry the address (SMTP servers echo it). The full
		// error is logged here, without the address either.
		a.logger().Warn("reminder email not sent", "exemption", r.ExemptionID, "error", redactAddress(err.Error(), b.Email))
		return false, fmt.Errorf("send reminder for exemption %d: %s", r.ExemptionID, redactAddress(err.Error(), b.Email))
	}
	return true, a.Store.MarkEmailSent(ctx, r.DedupeKey)
}

func sanitizeKey(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			out = append(out, c)
		} else {
			out = append(out, '-')
		}
	}
	return string(out)
}

// NotifyOperators posts the in-app notification to the operators of the
// beneficiary's ASL, once per reminder.
func (a *Activities) NotifyOperators(ctx context.Context, r Reminder) error {
	link := "/esenzioni/" + strconv.FormatInt(r.ExemptionID, 10)
	title := fmt.Sprintf("Esenzione %s in scadenza il %s", r.ExemptionCode, r.EndDate.Format("02/01/2006"))
	body := "Esenzione n. " + strconv.FormatInt(r.ExemptionID, 10)
	if r.PracticeNumber != "" {
		body += " (pratica " + r.PracticeNumber + ")"
	}
	// The notification's kind is the event it announces.
	return a.Store.CreateNotification(ctx, r.DedupeKey, r.ASL, string(exemption.Expire), title, body, link)
}

// redactAddress removes an email address (the recipient's, and any other)
// from an error text.
func redactAddress(msg, addr string) string {
	if addr != "" {
		msg = strings.ReplaceAll(msg, addr, "<destinatario>")
	}
	return emailPattern.ReplaceAllString(msg, "<indirizzo>")
}

var emailPattern = regexp.MustCompile(`[^\s<>"'@]+@[^\s<>"']+`)
