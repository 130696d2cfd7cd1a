// Package mail sends the application's emails (reminders before an
// exemption expires) through an SMTP relay.
package mail

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends plain-text emails through a relay at Addr (host:port). TLS is
// used when the server offers it (STARTTLS), so the same code talks to Mailpit
// in development and to a real relay in production.
type SMTP struct {
	Addr     string
	From     string
	Username string
	Password string
}

// Send delivers one email. messageID is deterministic for a given reminder,
// so a duplicate, if a crash ever causes one, is recognisable.
func (s *SMTP) Send(ctx context.Context, to, subject, body, messageID string) error {
	host, portStr, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: SMTP_ADDR %q: %w", s.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("smtp: SMTP_ADDR %q: bad port", s.Addr)
	}
	m := gomail.NewMsg()
	if err := m.From(s.From); err != nil {
		return fmt.Errorf("smtp: from %q: %w", s.From, err)
	}
	if err := m.To(to); err != nil {
		return fmt.Errorf("smtp: recipient: %w", err)
	}
	m.Subject(subject)
	m.SetMessageIDWithValue(strings.Trim(messageID, "<>"))
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, body)
	opts := []gomail.Option{
		gomail.WithPort(port), gomail.WithTLSPolicy(gomail.TLSOpportunistic),
		gomail.WithTimeout(20 * time.Second),
	}
	if s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(host, opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("smtp: send to relay %s: %w", s.Addr, err)
	}
	return nil
}
