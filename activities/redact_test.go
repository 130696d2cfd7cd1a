package activities

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestErrorsCarryNoAddress(t *testing.T) {
	for _, tc := range []struct{ msg, addr string }{
		{"550 5.1.1 <mario.rossi@example.it>: Recipient address rejected", "mario.rossi@example.it"},
		{"smtp: recipient: mail: no angle-addr", ""},
		{"452 too many recipients: anna@pec.example.it, luca@example.com", "anna@pec.example.it"},
	} {
		got := redactAddress(tc.msg, tc.addr)
		require.NotContains(t, got, "@", got)
	}
}
