package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/internal/config"
	"esenzioni/internal/testenv"
	"esenzioni/internal/testpki"
)

const p12Password = "prova"

// certWorld is an application with certificate login against the test
// run's CNS CA, an operator whose fiscal code the certificates carry, and a
// CRL listing one revoked certificate.
type certWorld struct {
	*apptest.Env
	ca      *testpki.CA
	fc      string
	revoked *testpki.Cert
}

func newCertWorld(t *testing.T, configure func(*config.Config)) *certWorld {
	t.Helper()
	ca := testenv.CNSCA(t)
	crlDir := t.TempDir()
	w := &certWorld{ca: ca}
	var err error
	w.revoked, err = ca.IssueClient(testpki.Holder{FiscalCode: testenv.OIDCOperator.FiscalCode})
	require.NoError(t, err)
	crl, err := ca.CRL(w.revoked.Cert)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(crlDir, "cns.crl"), crl, 0o644))
	w.Env = apptest.New(t, apptest.Options{Login: &apptest.LoginOptions{Certificate: true, CRLDir: crlDir}, Configure: configure})
	w.fc = testenv.OIDCOperator.FiscalCode
	w.OperatorWithFiscalCode("operatore.cns", w.fc, apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	return w
}

func (w *certWorld) issue(t *testing.T, h testpki.Holder) *testpki.Cert {
	t.Helper()
	c, err := w.ca.IssueClient(h)
	require.NoError(t, err)
	return c
}

// certificateLogin presses the certificate box's Accedi in a Chromium
// holding c, and returns when the browser is back on the application.
func (w *certWorld) certificateLogin(t *testing.T, c *testpki.Cert) *browser.Browser {
	t.Helper()
	p12, err := c.PKCS12(p12Password)
	require.NoError(t, err)
	b := browser.NewWithCertificate(t, w.URL, p12, p12Password, w.ca.Cert)
	b.Visit("/login")
	require.True(t, b.Exists("#accedi-certificato"), "the certificate box has its Accedi")
	navigate(b, "#accedi-certificato", fmt.Sprintf(`location.href.startsWith(%q) && !!document.getElementById("contenuto")`, w.URL+"/"))
	return b
}

func TestCertificateLoginInChromium(t *testing.T) {
	w := newCertWorld(t, nil)
	b := w.certificateLogin(t, w.issue(t, testpki.Holder{FiscalCode: w.fc, GivenName: "LIBERO", Surname: "CERRUTI"}))
	require.Equal(t, w.URL+"/", b.Location(), "lands on the profile page")
	require.True(t, b.Exists("#esci"))
	require.Equal(t, "ASL TO3", b.Text("[data-testid=asr]"))
	ok := lastLogin(t, w.Env)
	require.Equal(t, "OK", ok.Outcome)
	require.Equal(t, w.fc, ok.OperatorFC)
	require.Equal(t, "CERTIFICATO", ok.Detail["metodo"])
	requireOnlyAuditKeys(t, ok)

	navigate(b, "#esci", fmt.Sprintf(`location.href === %q`, w.URL+"/login"))
	rows := loginAudit(t, w.Env)
	require.Equal(t, "LOGOUT", rows[len(rows)-1].Action)
	require.Equal(t, "CERTIFICATO", rows[len(rows)-1].Detail["metodo"])
}

func TestCertificateLoginRefusals(t *testing.T) {
	w := newCertWorld(t, nil)
	other, err := testpki.NewDevCA("CA NON RICONOSCIUTA")
	require.NoError(t, err)
	untrusted, err := other.IssueClient(testpki.Holder{FiscalCode: w.fc})
	require.NoError(t, err)
	cases := []struct {
		name   string
		cert   *testpki.Cert
		msg    string
		reason string
	}{
		// Chromium (NSS) never offers an expired certificate: the handshake
		// carries none, and the page says so. The application's own expiry
		// check is exercised through the proxy header below.
		{"expired", w.issue(t, testpki.Holder{FiscalCode: w.fc, NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(0, 0, -2)}),
			"verifica che il certificato non sia scaduto", "certificato.assente"},
		{"revoked by the CRL", w.revoked, "Il certificato è stato revocato", "certificato.revocato"},
		{"untrusted CA", untrusted, "non è stato emesso da un'autorità di certificazione riconosciuta", "certificato.ca_non_fidata"},
		{"without a fiscal code", w.issue(t, testpki.Holder{GivenName: "LIBERO", Surname: "CERRUTI"}),
			"Il certificato non contiene un codice fiscale", "certificato.senza_codice_fiscale"},
		{"fiscal code without an account", w.issue(t, testpki.Holder{FiscalCode: testenv.OIDCNoAccount.FiscalCode}),
			"Non risulta un'utenza di operatore", "nessuna utenza"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := w.certificateLogin(t, c.cert)
			require.Contains(t, b.Text("#errore-accesso"), c.msg)
			require.False(t, b.Exists("#esci"), "not logged in")
			r := lastLogin(t, w.Env)
			require.Equal(t, "NEGATO", r.Outcome)
			require.Equal(t, c.reason, r.Detail["motivo"])
			require.Equal(t, "CERTIFICATO", r.Detail["metodo"])
			requireOnlyAuditKeys(t, r)
		})
	}
}

// noRedirect is an HTTP client that keeps cookies and stops at redirects.
func noRedirect(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// proxyLogin goes through the certificate login as a TLS-terminating proxy
// would forward it: the certificate in the header, on the application's own
// listener.
func proxyLogin(t *testing.T, w *certWorld, header string) *http.Response {
	t.Helper()
	c := noRedirect(t)
	resp, err := c.Get(w.URL + "/login/certificato")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/login/certificato/tls", loc.Path)
	req, _ := http.NewRequest(http.MethodGet, w.URL+loc.RequestURI(), nil)
	if header != "" {
		req.Header.Set("X-SSL-Client-Cert", header)
	}
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, err = c.Get(resp.Header.Get("Location"))
	require.NoError(t, err)
	if resp.StatusCode == http.StatusSeeOther {
		resp.Body.Close()
		resp, err = c.Get(w.URL + resp.Header.Get("Location"))
		require.NoError(t, err)
	}
	return resp
}

func TestCertificateLoginThroughTrustedProxyHeader(t *testing.T) {
	cert := func(w *certWorld) string {
		c := w.issue(t, testpki.Holder{FiscalCode: w.fc})
		return url.QueryEscape(string(testpki.CertPEM(c.Cert))) // nginx $ssl_client_escaped_cert
	}
	t.Run("from a trusted proxy", func(t *testing.T) {
		w := newCertWorld(t, func(c *config.Config) {
			c.Login.CNSProxyHeader = "X-SSL-Client-Cert"
			c.Login.CNSTrustedProxies = mustCIDRs(t, "127.0.0.1/32")
			c.Login.CNSLoginURL = c.PublicURL + "/login/certificato/tls"
		})
		resp := proxyLogin(t, w, cert(w))
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), `id="esci"`, "logged in")
		require.Equal(t, "CERTIFICATO", lastLogin(t, w.Env).Detail["metodo"])
	})
	t.Run("an expired certificate from the proxy is refused", func(t *testing.T) {
		w := newCertWorld(t, func(c *config.Config) {
			c.Login.CNSProxyHeader = "X-SSL-Client-Cert"
			c.Login.CNSTrustedProxies = mustCIDRs(t, "127.0.0.1/32")
			c.Login.CNSLoginURL = c.PublicURL + "/login/certificato/tls"
		})
		expired := w.issue(t, testpki.Holder{FiscalCode: w.fc, NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(0, 0, -2)})
		resp := proxyLogin(t, w, url.QueryEscape(string(testpki.CertPEM(expired.Cert))))
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NotContains(t, string(body), `id="esci"`)
		require.Contains(t, string(body), "Il certificato è scaduto")
		r := lastLogin(t, w.Env)
		require.Equal(t, "NEGATO", r.Outcome)
		require.Equal(t, "certificato.scaduto", r.Detail["motivo"])
		require.Equal(t, w.fc, r.Target)
	})
	t.Run("the outcome opened in another browser is refused (login CSRF)", func(t *testing.T) {
		w := newCertWorld(t, func(c *config.Config) {
			c.Login.CNSProxyHeader = "X-SSL-Client-Cert"
			c.Login.CNSTrustedProxies = mustCIDRs(t, "127.0.0.1/32")
			c.Login.CNSLoginURL = c.PublicURL + "/login/certificato/tls"
		})
		attacker := noRedirect(t)
		resp, err := attacker.Get(w.URL + "/login/certificato")
		require.NoError(t, err)
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		req, _ := http.NewRequest(http.MethodGet, w.URL+loc.RequestURI(), nil)
		req.Header.Set("X-SSL-Client-Cert", cert(w))
		resp, err = attacker.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		victim := noRedirect(t)
		resp, err = victim.Get(resp.Header.Get("Location"))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NotContains(t, string(body), `id="esci"`)
		require.Contains(t, string(body), "non è valida o è scaduta")
		for _, ck := range victim.Jar.Cookies(mustURL(t, w.URL)) {
			require.NotEqual(t, "esenzioni_sessione", ck.Name, "the victim got a session")
		}
	})
	t.Run("the header from anyone else is refused", func(t *testing.T) {
		w := newCertWorld(t, func(c *config.Config) {
			c.Login.CNSProxyHeader = "X-SSL-Client-Cert"
			c.Login.CNSTrustedProxies = mustCIDRs(t, "192.0.2.10/32")
			c.Login.CNSLoginURL = c.PublicURL + "/login/certificato/tls"
		})
		resp := proxyLogin(t, w, cert(w))
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NotContains(t, string(body), `id="esci"`)
		require.Contains(t, string(body), "proxy autorizzato")
		r := lastLogin(t, w.Env)
		require.Equal(t, "NEGATO", r.Outcome)
		require.Equal(t, "certificato.proxy_non_fidato", r.Detail["motivo"])
	})
}

func mustCIDRs(t *testing.T, cidrs ...string) []*net.IPNet {
	t.Helper()
	var out []*net.IPNet
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		require.NoError(t, err)
		out = append(out, n)
	}
	return out
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
