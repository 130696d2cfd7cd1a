package web_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
)

// Without configuration the login page offers only the password; the
// password login's audit rows name their method.
func TestLoginPageWithoutExtraMethods(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	resp, err := http.Get(e.URL + "/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	require.Contains(t, page, `id="certificato-non-attivo"`)
	require.Contains(t, page, `id="spid-cie-non-attivo"`)
	require.NotContains(t, page, `id="accedi-spid"`)
	require.NotContains(t, page, `id="accedi-certificato"`)
	for _, path := range []string{"/login/oidc/spid", "/login/certificato"} {
		resp, err := http.Get(e.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}

	e.Operator("operatore.pw", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))
	b := browser.New(t, e.URL)
	b.Login("operatore.pw", apptest.Password, apptest.PIN)
	require.True(t, b.Exists("#esci"))
	ok := lastLogin(t, e)
	require.Equal(t, "OK", ok.Outcome)
	require.Equal(t, "PASSWORD", ok.Detail["metodo"])
	b.Click("#esci")
	rows := loginAudit(t, e)
	require.Equal(t, "LOGOUT", rows[len(rows)-1].Action)
	require.Equal(t, "PASSWORD", rows[len(rows)-1].Detail["metodo"])
}
