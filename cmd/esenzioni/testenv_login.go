package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"esenzioni/internal/devstack"
	"esenzioni/internal/testenv"
	"esenzioni/internal/testpki"
)

// startTestLogin starts, for a test run, the local OpenID Connect provider
// (the SPID and CIE of the browser tests) and creates the run's CNS test CA,
// whose key the tests use to issue the certificates they present.
func startTestLogin(ctx context.Context, dir string) (testenv.Login, func(), error) {
	stop := func() {}
	caDir := filepath.Join(dir, "cns-ca")
	ca, err := testpki.NewDevCA("CA CNS DI TEST")
	if err != nil {
		return testenv.Login{}, stop, err
	}
	if err := ca.Save(caDir); err != nil {
		return testenv.Login{}, stop, err
	}
	login := testenv.Login{CADir: caDir}
	bin, err := devstack.Tool("", "oidcprovider")
	if err != nil {
		// The SPID/CIE tests skip (fail under CI=true); the others run.
		fmt.Fprintln(os.Stderr, "testenv: no local OpenID Connect provider:", err)
		return login, stop, nil
	}
	var users []devstack.OIDCUser
	for _, id := range testenv.OIDCUsers() {
		users = append(users, devstack.OIDCUser{FiscalCode: id.FiscalCode, GivenName: id.GivenName, FamilyName: id.FamilyName, Description: id.Description})
	}
	o, err := devstack.StartOIDC(ctx, devstack.OIDCOptions{Binary: bin, Users: users,
		ClientID: "esenzioni-test", ClientSecret: "esenzioni-test-secret", Dir: dir})
	if err != nil {
		return testenv.Login{}, stop, err
	}
	login.OIDCURL, login.ClientID, login.ClientSecret = o.BaseURL(), o.ClientID, o.ClientSecret
	return login, o.Stop, nil
}
