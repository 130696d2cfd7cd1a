// Package refusal is the one type of a refused command, shared by the
// rules of practices (domain/practice) and of exemptions (domain/exemption),
// the workflows that apply them, and the services that return them
// (service/practices, service/exemptions): a stable code and an Italian
// message.
package refusal

import "fmt"

// Refusal explains why a command is not allowed. Code is stable (API,
// tests; prefixed by the record it concerns: practice.*, exemption.*);
// Message is Italian, for operators.
type Refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

// New returns a refusal with a formatted message.
func New(code, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, args...)}
}
