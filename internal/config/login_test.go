package config

import (
	"strings"
	"testing"
)

func TestLoginDefaultsOff(t *testing.T) {
	c, err := load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Login.CertificateLogin() || len(c.Login.Providers) != 0 {
		t.Fatalf("logins on by default: %+v", c.Login)
	}
}

func TestLoginProviders(t *testing.T) {
	c, err := load(env(map[string]string{
		"PUBLIC_URL":                 "https://operatori.example.it",
		"OIDC_PROVIDERS":             "spid, cie-regione",
		"OIDC_SPID_ISSUER":           "https://gateway.example.it/spid",
		"OIDC_SPID_CLIENT_ID":        "esenzioni",
		"OIDC_SPID_CLIENT_SECRET":    "s",
		"OIDC_SPID_MIN_LEVEL":        "SpidL3",
		"OIDC_CIE_REGIONE_ISSUER":    "https://gateway.example.it/cie",
		"OIDC_CIE_REGIONE_CLIENT_ID": "esenzioni-cie",
		"CNS_CA_DIR":                 "/etc/esenzioni/cns",
		"CNS_TLS_ADDR":               ":8443",
		"CNS_TLS_CERT":               "/etc/esenzioni/tls.pem",
		"CNS_TLS_KEY":                "/etc/esenzioni/tls.key",
	}))
	if err != nil {
		t.Fatal(err)
	}
	ps := c.Login.Providers
	if len(ps) != 2 || ps[0].Name != "spid" || ps[0].Kind != "spid" || ps[0].MinLevel != 3 ||
		ps[1].Name != "cie-regione" || ps[1].Kind != "cie" || ps[1].MinLevel != 2 || ps[1].Scopes[0] != "profile" {
		t.Fatalf("providers: %+v", ps)
	}
	if got := c.Login.CNSLoginURL; got != "https://operatori.example.it:8443/login/certificato/tls" {
		t.Fatalf("certificate URL %q", got)
	}
}

func TestLoginRefusesIncompleteSettings(t *testing.T) {
	for _, tc := range []struct {
		kv   map[string]string
		want string
	}{
		{map[string]string{"OIDC_PROVIDERS": "spid"}, "OIDC_SPID_ISSUER"},
		{map[string]string{"OIDC_PROVIDERS": "SPID!"}, "OIDC_PROVIDERS"},
		{map[string]string{"OIDC_PROVIDERS": "x", "OIDC_X_ISSUER": "https://i", "OIDC_X_CLIENT_ID": "c", "OIDC_X_KIND": "eidas"}, "OIDC_X_KIND"},
		{map[string]string{"OIDC_PROVIDERS": "x", "OIDC_X_ISSUER": "https://i", "OIDC_X_CLIENT_ID": "c", "OIDC_X_MIN_LEVEL": "4"}, "OIDC_X_MIN_LEVEL"},
		{map[string]string{"CNS_TLS_ADDR": ":8443"}, "CNS_TLS_CERT"},
		{map[string]string{"CNS_CA_DIR": "/etc/cns"}, "CNS_PROXY_HEADER"},
		{map[string]string{"CNS_PROXY_HEADER": "X-SSL-Client-Cert"}, "CNS_TRUSTED_PROXIES"},
		{map[string]string{"CNS_PROXY_HEADER": "X", "CNS_TRUSTED_PROXIES": "proxy.local"}, "CNS_TRUSTED_PROXIES"},
	} {
		_, err := load(env(tc.kv))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.kv, err, tc.want)
		}
	}
}
