package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/adapters/auth"
	"esenzioni/domain/access"
	"esenzioni/internal/apptest"
)

// loginFrom posts the login form from a local address (127.0.0.x) and
// returns the status and the page.
func loginFrom(t *testing.T, base, from, username, password, pin string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/login")
	require.NoError(t, err)
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = c.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}, "pin": {pin}})
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestLoginThrottling: growing delays per account and address instead of
// a lock anyone can trigger; the operator is told for how long; a good
// login and the expiry of the counter reset it; unknown and known accounts
// get the same treatment and the same work (issue 12, point 7).
func TestLoginThrottling(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	e.Operator("mario.rossi", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))
	const attacker, operator = "127.0.0.2", "127.0.0.3"
	expire := func() {
		_, err := e.DB.NewRaw(`UPDATE login_throttle SET blocked_until = now() - interval '1 second'`).Exec(ctx)
		require.NoError(t, err)
	}

	t.Run("growing delays from the sixth failure, told in Italian", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			status, page := loginFrom(t, e.URL, attacker, "mario.rossi", "sbagliata", "000000")
			require.Equal(t, http.StatusUnauthorized, status, "failure %d", i+1)
			require.Contains(t, page, "verifica nome utente, password e PIN")
		}
		status, page := loginFrom(t, e.URL, attacker, "mario.rossi", "sbagliata", "000000")
		require.Equal(t, http.StatusTooManyRequests, status)
		require.Contains(t, page, "l&#39;utenza è temporaneamente bloccata. Riprova tra 2 secondi.")
		status, _ = loginFrom(t, e.URL, attacker, "mario.rossi", apptest.Password, apptest.PIN)
		require.Equal(t, http.StatusTooManyRequests, status, "even the right credentials wait from that address")
		expire()
		status, page = loginFrom(t, e.URL, attacker, "mario.rossi", "sbagliata", "000000")
		require.Equal(t, http.StatusTooManyRequests, status)
		require.Contains(t, page, "Riprova tra 4 secondi.", "the delay doubles")
	})

	t.Run("the attacker does not lock the operator out", func(t *testing.T) {
		status, _ := loginFrom(t, e.URL, operator, "mario.rossi", apptest.Password, apptest.PIN)
		require.Equal(t, http.StatusSeeOther, status, "from the operator's own address the account works")
	})

	t.Run("a good login resets the account's counters", func(t *testing.T) {
		expire()
		status, _ := loginFrom(t, e.URL, attacker, "mario.rossi", apptest.Password, apptest.PIN)
		require.Equal(t, http.StatusSeeOther, status)
		status, _ = loginFrom(t, e.URL, attacker, "mario.rossi", "sbagliata", "000000")
		require.Equal(t, http.StatusUnauthorized, status, "counting starts again")
	})

	t.Run("counters expire", func(t *testing.T) {
		for i := 0; i < 6; i++ {
			loginFrom(t, e.URL, attacker, "mario.rossi", "sbagliata", "000000")
		}
		_, err := e.DB.NewRaw(`UPDATE login_throttle SET last_failure = now() - interval '31 minutes', blocked_until = now() - interval '1 minute'`).Exec(ctx)
		require.NoError(t, err)
		status, _ := loginFrom(t, e.URL, attacker, "mario.rossi", "sbagliata", "000000")
		require.Equal(t, http.StatusUnauthorized, status, "an expired counter starts from one: no block at the next miss")
		status, _ = loginFrom(t, e.URL, attacker, "mario.rossi", apptest.Password, apptest.PIN)
		require.Equal(t, http.StatusSeeOther, status, "one miss after the expiry does not block again")
	})

	t.Run("unknown accounts: same answers, same work", func(t *testing.T) {
		const other = "127.0.0.4"
		for i := 0; i < 5; i++ {
			known0 := auth.SecretChecks()
			sk, pk := loginFrom(t, e.URL, other, "mario.rossi.bis", "sbagliata", "000000") // unknown
			unknownWork := auth.SecretChecks() - known0
			k0 := auth.SecretChecks()
			sn, pn := loginFrom(t, e.URL, "127.0.0.5", "mario.rossi", "sbagliata", "000000") // known
			knownWork := auth.SecretChecks() - k0
			require.Equal(t, knownWork, unknownWork, "the same hash computations for a known and an unknown account")
			require.EqualValues(t, 2, knownWork, "password and PIN")
			require.Equal(t, sn, sk)
			require.Equal(t, strings.Contains(pn, "verifica nome utente"), strings.Contains(pk, "verifica nome utente"))
		}
		status, page := loginFrom(t, e.URL, other, "mario.rossi.bis", "sbagliata", "000000")
		require.Equal(t, http.StatusTooManyRequests, status, "an unknown account is slowed down like a known one")
		require.Contains(t, page, "temporaneamente bloccata")
	})
}
