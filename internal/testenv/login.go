package testenv

import (
	"os"
	"testing"
	"time"

	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/internal/testpki"
)

// The test run's local OpenID Connect provider (tools/oidcprovider) and its
// CNS test CA, started by `esenzioni testenv` once per run.
const (
	envOIDCURL    = "ESENZIONI_TEST_OIDC_URL"
	envOIDCID     = "ESENZIONI_TEST_OIDC_CLIENT_ID"
	envOIDCSecret = "ESENZIONI_TEST_OIDC_CLIENT_SECRET"
	envCNSCA      = "ESENZIONI_TEST_CNS_CA_DIR"
)

// Login locates the test run's provider and CA.
type Login struct {
	OIDCURL      string // the provider; issuers OIDCURL/spid and OIDCURL/cie
	ClientID     string
	ClientSecret string
	CADir        string // (*testpki.CA).Save of the run's CNS test CA
}

// Environ renders the environment variables tests read.
func (l Login) Environ() []string {
	return []string{envOIDCURL + "=" + l.OIDCURL, envOIDCID + "=" + l.ClientID,
		envOIDCSecret + "=" + l.ClientSecret, envCNSCA + "=" + l.CADir}
}

func loginEnv() Login {
	return Login{OIDCURL: os.Getenv(envOIDCURL), ClientID: os.Getenv(envOIDCID),
		ClientSecret: os.Getenv(envOIDCSecret), CADir: os.Getenv(envCNSCA)}
}

// OIDCEnv returns the run's provider, or skips (fails under CI=true).
func OIDCEnv(t testing.TB) Login {
	t.Helper()
	l := loginEnv()
	if l.OIDCURL == "" {
		Missing(t, "the local OpenID Connect provider is not running (`make test` builds it with `make tools` and `esenzioni testenv` starts it)")
	}
	return l
}

// CNSCA loads the run's CNS test CA (certificate and key), or skips (fails
// under CI=true).
func CNSCA(t testing.TB) *testpki.CA {
	t.Helper()
	dir := loginEnv().CADir
	if dir == "" {
		Missing(t, "no CNS test CA: run the tests with `make test` (`esenzioni testenv`)")
	}
	ca, err := testpki.Load(dir)
	if err != nil {
		t.Fatalf("CNS test CA: %v", err)
	}
	return ca
}

// Identity is a person the test provider can authenticate.
type Identity struct {
	FiscalCode, GivenName, FamilyName, Description string
}

func identity(last, first string, birth time.Time, sex byte, desc string) Identity {
	torino, _ := places.Default().Find("TORINO", "TO")
	return Identity{FiscalCode: fiscalcode.Generate(last, first, birth, sex, torino.Code), GivenName: first, FamilyName: last, Description: desc}
}

// The test provider's users: an operator (whose account each test creates
// in its own database) and a person who has no account.
var (
	OIDCOperator  = identity("CERRUTI", "LIBERO", time.Date(1963, 6, 10, 0, 0, 0, 0, time.UTC), 'M', "operatore di prova")
	OIDCNoAccount = identity("BIANCHI", "LUCIA", time.Date(1985, 3, 14, 0, 0, 0, 0, time.UTC), 'F', "senza utenza")
)

// OIDCUsers are the identities `esenzioni testenv` gives the provider.
func OIDCUsers() []Identity { return []Identity{OIDCOperator, OIDCNoAccount} }
