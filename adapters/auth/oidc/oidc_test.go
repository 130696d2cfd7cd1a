package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestLevel(t *testing.T) {
	for acr, want := range map[string]int{
		"https://www.spid.gov.it/SpidL1": 1, "https://www.spid.gov.it/SpidL2": 2, "https://www.spid.gov.it/SpidL3": 3,
		"SpidL2": 2, "L3": 3, "2": 2, "": 0, "https://www.spid.gov.it/SpidL4": 0, "urn:other": 0,
	} {
		if got := Level(acr); got != want {
			t.Errorf("Level(%q) = %d, want %d", acr, got, want)
		}
	}
	if ACR(2) != "https://www.spid.gov.it/SpidL2" {
		t.Fatal(ACR(2))
	}
}

// fakeOP is a minimal OpenID provider: discovery, keys, a token endpoint
// answering with the ID token claims of the test, and userinfo.
type fakeOP struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	claims   map[string]any
	userinfo map[string]any
	tokenErr bool
}

func newFakeOP(t *testing.T) *fakeOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOP{key: key}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	iss := f.srv.URL
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": iss, "authorization_endpoint": iss + "/auth", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/keys", "userinfo_endpoint": iss + "/userinfo", "end_session_endpoint": iss + "/logout",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if f.tokenErr {
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]any{"error": "invalid_grant"})
			return
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		payload, _ := json.Marshal(f.claims)
		jws, _ := signer.Sign(payload)
		idt, _ := jws.CompactSerialize()
		writeJSON(w, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idt})
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, f.userinfo) })
	return f
}

func (f *fakeOP) idClaims(nonce, acr, fiscal string) map[string]any {
	c := map[string]any{"iss": f.srv.URL, "sub": "s1", "aud": "esenzioni", "exp": time.Now().Add(time.Hour).Unix(),
		"iat": time.Now().Unix(), "nonce": nonce, "acr": acr}
	if fiscal != "" {
		c["fiscal_number"] = fiscal
	}
	return c
}

func reasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestExchange(t *testing.T) {
	const cf = "RSSMRA80A01H501U"
	f := newFakeOP(t)
	p := New(Config{Name: "spid", Kind: KindSPID, Issuer: f.srv.URL, ClientID: "esenzioni", ClientSecret: "s"}, "http://app/cb", nil)
	u, err := p.AuthURL("st", "n1", "verifier-verifier-verifier-verifier-verifier")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state=st", "nonce=n1", "code_challenge_method=S256", "acr_values=https%3A%2F%2Fwww.spid.gov.it%2FSpidL2"} {
		if !strings.Contains(u, want) {
			t.Errorf("authorization URL %s lacks %s", u, want)
		}
	}
	ctx := context.Background()
	cases := []struct {
		name     string
		claims   map[string]any
		userinfo map[string]any
		nonce    string
		want     string
	}{
		{"good", f.idClaims("n1", ACR(2), "TINIT-"+cf), nil, "n1", ""},
		{"fiscal number from userinfo", f.idClaims("n1", ACR(3), ""), map[string]any{"sub": "s1", "fiscal_number": "TINIT-" + cf}, "n1", ""},
		{"nonce mismatch", f.idClaims("other", ACR(2), "TINIT-"+cf), nil, "n1", ReasonNonce},
		{"level 1", f.idClaims("n1", ACR(1), "TINIT-"+cf), nil, "n1", ReasonLevel},
		{"no fiscal number", f.idClaims("n1", ACR(2), ""), map[string]any{"sub": "s1"}, "n1", ReasonFiscalNumber},
		{"bad check character", f.idClaims("n1", ACR(2), "TINIT-RSSMRA80A01H501X"), nil, "n1", ReasonFiscalCode},
		{"another audience", func() map[string]any { c := f.idClaims("n1", ACR(2), "TINIT-"+cf); c["aud"] = "other"; return c }(), nil, "n1", ReasonIDToken},
		{"expired", func() map[string]any {
			c := f.idClaims("n1", ACR(2), "TINIT-"+cf)
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			return c
		}(), nil, "n1", ReasonIDToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.claims, f.userinfo = c.claims, c.userinfo
			res, err := p.Exchange(ctx, "code", "verifier", c.nonce)
			if got := reasonOf(err); got != c.want {
				t.Fatalf("reason %q, want %q (%v)", got, c.want, err)
			}
			if c.want == "" && (res.FiscalCode != cf || res.IDToken == "") {
				t.Fatalf("result %+v", res)
			}
		})
	}
	f.tokenErr = true
	if _, err := p.Exchange(ctx, "code", "verifier", "n1"); reasonOf(err) != ReasonExchange {
		t.Fatalf("refused code: %v", err)
	}
	lo := p.LogoutURL("hint", "http://app/login", "")
	if !strings.HasPrefix(lo, f.srv.URL+"/logout?") || !strings.Contains(lo, "id_token_hint=hint") || !strings.Contains(lo, "post_logout_redirect_uri=http%3A%2F%2Fapp%2Flogin") {
		t.Fatalf("logout URL %s", lo)
	}
}

func TestDiscoveryFailure(t *testing.T) {
	p := New(Config{Name: "spid", Issuer: "http://127.0.0.1:1/none", ClientID: "c"}, "http://app/cb", nil)
	if _, err := p.AuthURL("s", "n", "v"); reasonOf(err) != ReasonDiscovery {
		t.Fatalf("err = %v", err)
	}
	if p.LogoutURL("", "http://app/login", "") != "" {
		t.Fatal("logout URL without a provider")
	}
}
