package apptest

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"esenzioni/internal/config"
	"esenzioni/internal/testenv"
	"esenzioni/internal/testpki"
	"esenzioni/store"
)

// LoginOptions turn on the certificate and SPID/CIE logins of the
// application under test, against the test run's CNS CA and local OpenID
// Connect provider.
type LoginOptions struct {
	// Certificate starts the dedicated TLS listener (on a loopback port, its
	// server certificate issued by the run's CA for 127.0.0.1) and trusts
	// the run's CA; CRLDir, if set, is its CRL directory.
	Certificate bool
	CRLDir      string
	// OIDC configures the providers "spid" and "cie" of the run's provider.
	OIDC bool
	// MinLevel is the SPID level the providers require (default 2).
	MinLevel int
	// HTTPClient is the back-channel client of the OpenID Connect login
	// (to tamper with the provider's answers).
	HTTPClient *http.Client
}

// configureLogin applies opts to cfg; it returns the certificate
// listener's socket, if any.
func configureLogin(t testing.TB, cfg *config.Config, opts *LoginOptions) net.Listener {
	t.Helper()
	if opts == nil {
		return nil
	}
	var tl net.Listener
	if opts.Certificate {
		ca := testenv.CNSCA(t)
		dir := t.TempDir()
		caDir := filepath.Join(dir, "ca")
		if err := os.MkdirAll(caDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(caDir, "ca.pem"), testpki.CertPEM(ca.Cert), 0o644); err != nil {
			t.Fatal(err)
		}
		srv, err := ca.IssueServer("127.0.0.1", "localhost")
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
		if err := testpki.WritePair(certFile, keyFile, srv.Cert, srv.Key); err != nil {
			t.Fatal(err)
		}
		if tl, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		l := &cfg.Login
		l.CNSCADir, l.CNSCRLDir = caDir, opts.CRLDir
		l.CNSTLSAddr, l.CNSTLSCert, l.CNSTLSKey = tl.Addr().String(), certFile, keyFile
		l.CNSLoginURL = "https://" + tl.Addr().String() + "/login/certificato/tls"
	}
	if opts.OIDC {
		le := testenv.OIDCEnv(t)
		level := opts.MinLevel
		if level == 0 {
			level = 2
		}
		for _, kind := range []string{"spid", "cie"} {
			cfg.Login.Providers = append(cfg.Login.Providers, config.Provider{Name: kind, Kind: kind,
				Label: "Provider di test", Issuer: le.OIDCURL + "/" + kind, ClientID: le.ClientID,
				ClientSecret: le.ClientSecret, MinLevel: level, Scopes: []string{"profile"}})
		}
	}
	return tl
}

// OperatorWithFiscalCode creates an operator with the given fiscal code (the
// identity of a certificate or of the test provider).
func (e *Env) OperatorWithFiscalCode(username, fc string, profiles ...store.OperatorProfile) store.Operator {
	e.T.Helper()
	o := e.Operator(username, profiles...)
	if _, err := e.Store().DB.NewUpdate().Table("operator").Set("fiscal_code = ?", fc).Where("id = ?", o.ID).Exec(context.Background()); err != nil {
		e.T.Fatal(err)
	}
	o.FiscalCode = fc
	return o
}

func loginHTTPClient(opts *LoginOptions) *http.Client {
	if opts == nil {
		return nil
	}
	return opts.HTTPClient
}
