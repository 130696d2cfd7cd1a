package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"esenzioni/internal/config"
	"esenzioni/internal/demo"
	"esenzioni/internal/devstack"
)

// loginBanner is what printBanner adds about the certificate and SPID/CIE
// logins that devLogin set up.
var loginBanner string

// devLogin sets up, for `esenzioni dev`, whatever the environment does not
// configure: certificate login with the demo CNS CA (its certificates and
// PKCS#12 files in the data directory) on an HTTPS listener, and SPID/CIE
// through the local OpenID Connect provider (tools/oidcprovider), started
// like the Temporal dev server. It returns a function that stops what it
// started.
func devLogin(ctx context.Context, cfg *config.Config) (func(), error) {
	var b strings.Builder
	stop := func() {}
	if !cfg.Login.CertificateLogin() {
		files, err := demo.LoadOrCreateCNS(filepath.Join(cfg.DataDir, "cns"))
		if err != nil {
			return stop, fmt.Errorf("demo CNS CA: %w", err)
		}
		port, err := envPort("ESENZIONI_CNS_PORT", 8443)
		if err != nil {
			return stop, err
		}
		addr := fmt.Sprintf("localhost:%d", port)
		if err := checkCertificatePortFree(addr); err != nil {
			return stop, err
		}
		l := &cfg.Login
		l.CNSCADir, l.CNSCRLDir, l.CNSTLSCert, l.CNSTLSKey = files.CADir, files.CRLDir, files.ServerCert, files.ServerKey
		if l.CNSTLSAddr == "" {
			l.CNSTLSAddr = addr
		}
		if l.CNSLoginURL == "" {
			l.CNSLoginURL = config.DefaultCNSLoginURL(cfg.PublicURL, l.CNSTLSAddr)
		}
		fmt.Fprintf(&b, "\n  Certificate (CNS) login on %s, demo CA in %s\n", strings.TrimSuffix(l.CNSLoginURL, "/login/certificato/tls"), files.CADir)
		fmt.Fprintf(&b, "    import %s/<username>.p12 into the browser (password %s): README, \"Certificate login\"\n", files.CertDir, demo.CNSPassword)
	}
	if len(cfg.Login.Providers) == 0 {
		bin, err := devstack.Tool("", "oidcprovider")
		if err != nil {
			fmt.Fprintln(os.Stderr, "esenzioni dev: SPID/CIE login disabled:", err)
			loginBanner = b.String()
			return stop, nil
		}
		port, err := envPort("ESENZIONI_OIDC_PORT", 9998)
		if err != nil {
			return stop, err
		}
		var users []devstack.OIDCUser
		for _, id := range append(demo.Identities(), demo.NoAccount()) {
			users = append(users, devstack.OIDCUser{FiscalCode: id.FiscalCode, GivenName: id.GivenName, FamilyName: id.FamilyName, Description: id.Description})
		}
		o, err := devstack.StartOIDC(ctx, devstack.OIDCOptions{Binary: bin, Port: port, Users: users,
			ClientID: "esenzioni", ClientSecret: "esenzioni-dev-secret", Dir: cfg.DataDir})
		if err != nil {
			return stop, err
		}
		stop = o.Stop
		for _, kind := range []string{"spid", "cie"} {
			cfg.Login.Providers = append(cfg.Login.Providers, config.Provider{
				Name: kind, Kind: kind, Label: "Gestore di prova locale (" + o.BaseURL() + ")", Issuer: o.Issuer(kind),
				ClientID: o.ClientID, ClientSecret: o.ClientSecret, MinLevel: 2, Scopes: []string{"profile"},
			})
		}
		fmt.Fprintf(&b, "  SPID and CIE login through the local provider %s (demo operators listed there)\n", o.BaseURL())
	}
	loginBanner = b.String()
	return stop, nil
}

func checkCertificatePortFree(addr string) error {
	l, err := listenCheck(addr)
	if err != nil {
		return fmt.Errorf("certificate login: %s is taken by another program; stop it or choose another port with ESENZIONI_CNS_PORT", addr)
	}
	return l.Close()
}
