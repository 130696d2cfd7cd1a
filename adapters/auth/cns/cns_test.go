package cns_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
	"software.sslmate.com/src/go-pkcs12"

	"esenzioni/adapters/auth/cns"
	"esenzioni/internal/testpki"
)

const cf = "RSSMRA80A01H501U"

type fixture struct {
	ca             *testpki.CA
	caDir, crlDir  string
	verifierOpts   cns.Options
	verifier       *cns.Verifier
	valid, revoked *testpki.Cert
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ca, err := testpki.NewDevCA("CA CNS DI PROVA")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ca: ca, caDir: t.TempDir(), crlDir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(f.caDir, "cns.pem"), testpki.CertPEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	f.valid = f.issue(t, testpki.Holder{FiscalCode: cf, GivenName: "MARIO", Surname: "ROSSI"})
	f.revoked = f.issue(t, testpki.Holder{FiscalCode: cf})
	f.writeCRL(t, f.revoked)
	f.verifierOpts = cns.Options{CADir: f.caDir, CRLDir: f.crlDir}
	f.verifier = f.newVerifier(t, f.verifierOpts)
	return f
}

func (f *fixture) issue(t *testing.T, h testpki.Holder) *testpki.Cert {
	t.Helper()
	c, err := f.ca.IssueClient(h)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) writeCRL(t *testing.T, revoked ...*testpki.Cert) {
	t.Helper()
	var certs []*x509.Certificate
	for _, r := range revoked {
		certs = append(certs, r.Cert)
	}
	crl, err := f.ca.CRL(certs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.crlDir, "cns.crl"), crl, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) newVerifier(t *testing.T, o cns.Options) *cns.Verifier {
	t.Helper()
	v, err := cns.NewVerifier(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func reason(err error) string {
	var e *cns.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func TestVerifyAcceptsCNSCertificate(t *testing.T) {
	f := newFixture(t)
	id, err := f.verifier.Verify(context.Background(), []*x509.Certificate{f.valid.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if id.FiscalCode != cf || id.Issuer != "CA CNS DI PROVA" {
		t.Fatalf("identity = %+v", id)
	}
}

func TestVerifyFiscalCodeFromCommonNameOnly(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, testpki.Holder{FiscalCode: cf, NoSerialNumber: true})
	if c.Cert.Subject.SerialNumber != "" || !strings.HasPrefix(c.Cert.Subject.CommonName, cf+"/") {
		t.Fatalf("subject %v", c.Cert.Subject)
	}
	id, err := f.verifier.Verify(context.Background(), []*x509.Certificate{c.Cert})
	if err != nil || id.FiscalCode != cf {
		t.Fatalf("got %+v, %v", id, err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	f := newFixture(t)
	other, err := testpki.NewDevCA("CA NON FIDATA")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := other.IssueClient(testpki.Holder{FiscalCode: cf})
	if err != nil {
		t.Fatal(err)
	}
	server, err := f.ca.IssueServer("localhost")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cert *x509.Certificate
		want string
	}{
		{"expired", f.issue(t, testpki.Holder{FiscalCode: cf, NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(0, 0, -1)}).Cert, cns.ReasonExpired},
		{"not yet valid", f.issue(t, testpki.Holder{FiscalCode: cf, NotBefore: time.Now().Add(time.Hour)}).Cert, cns.ReasonNotYetValid},
		{"revoked", f.revoked.Cert, cns.ReasonRevoked},
		{"untrusted CA", untrusted.Cert, cns.ReasonUntrusted},
		{"server certificate", server.Cert, cns.ReasonUsage},
		{"no fiscal code", f.issue(t, testpki.Holder{GivenName: "MARIO", Surname: "ROSSI"}).Cert, cns.ReasonNoFiscalCode},
		{"wrong check character", f.issue(t, testpki.Holder{FiscalCode: "RSSMRA80A01H501X"}).Cert, cns.ReasonFiscalCode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.verifier.Verify(context.Background(), []*x509.Certificate{c.cert})
			if got := reason(err); got != c.want {
				t.Fatalf("reason = %q, want %q (%v)", got, c.want, err)
			}
			var e *cns.Error
			if errors.As(err, &e) && e.Message == "" {
				t.Fatalf("no Italian message for %s", e.Reason)
			}
		})
	}
	if _, err := f.verifier.Verify(context.Background(), nil); reason(err) != cns.ReasonMissing {
		t.Fatalf("no certificate: %v", err)
	}
}

// A CRL written after the verifier started is read on the next check.
func TestCRLReloadedWhenChanged(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	clock := now
	opts := f.verifierOpts
	opts.Now = func() time.Time { return clock }
	v := f.newVerifier(t, opts)
	if _, err := v.Verify(context.Background(), []*x509.Certificate{f.valid.Cert}); err != nil {
		t.Fatal(err)
	}
	f.writeCRL(t, f.revoked, f.valid)
	clock = now.Add(2 * time.Second)
	if _, err := v.Verify(context.Background(), []*x509.Certificate{f.valid.Cert}); reason(err) != cns.ReasonRevoked {
		t.Fatalf("after the CRL changed: %v", err)
	}
}

func TestCRLOfAnotherCAIsRefusedAtStart(t *testing.T) {
	f := newFixture(t)
	other, _ := testpki.NewDevCA("ALTRA CA")
	crl, _ := other.CRL()
	if err := os.WriteFile(filepath.Join(f.crlDir, "altra.crl"), crl, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cns.NewVerifier(f.verifierOpts); err == nil || !strings.Contains(err.Error(), "not signed by a configured CA") {
		t.Fatalf("err = %v", err)
	}
}

func TestOCSP(t *testing.T) {
	f := newFixture(t)
	status := ocsp.Good
	reachable := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !reachable {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := ocsp.CreateResponse(f.ca.Cert, f.ca.Cert, ocsp.Response{
			Status: status, SerialNumber: req.SerialNumber, ThisUpdate: time.Now().Add(-time.Minute),
			NextUpdate: time.Now().Add(time.Hour), RevokedAt: time.Now().Add(-time.Minute),
		}, f.ca.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		_, _ = w.Write(resp)
	}))
	defer srv.Close()
	v := f.newVerifier(t, cns.Options{CADir: f.caDir, OCSPURL: srv.URL})
	chain := []*x509.Certificate{f.valid.Cert}
	if _, err := v.Verify(context.Background(), chain); err != nil {
		t.Fatalf("good: %v", err)
	}
	status = ocsp.Revoked
	if _, err := v.Verify(context.Background(), chain); reason(err) != cns.ReasonRevoked {
		t.Fatalf("revoked: %v", err)
	}
	reachable = false
	if _, err := v.Verify(context.Background(), chain); reason(err) != cns.ReasonRevocation {
		t.Fatalf("responder down: %v", err)
	}
}

func TestParseProxyHeader(t *testing.T) {
	f := newFixture(t)
	pemText := string(testpki.CertPEM(f.valid.Cert))
	forms := map[string]string{
		"nginx escaped":  url.QueryEscape(pemText),
		"apache spaces":  strings.ReplaceAll(strings.TrimSpace(pemText), "\n", " "),
		"base64 der":     strings.TrimSpace(strings.Join(strings.Split(strings.TrimSpace(pemText), "\n")[1:len(strings.Split(strings.TrimSpace(pemText), "\n"))-1], "")),
		"plain pem line": pemText,
	}
	for name, v := range forms {
		certs, err := cns.ParseProxyHeader(v)
		if err != nil || len(certs) != 1 || !certs[0].Equal(f.valid.Cert) {
			t.Errorf("%s: %v %v", name, certs, err)
		}
	}
	if _, err := cns.ParseProxyHeader(""); reason(err) != cns.ReasonMissing {
		t.Errorf("empty: %v", err)
	}
	if _, err := cns.ParseProxyHeader("not a certificate"); reason(err) != cns.ReasonMalformed {
		t.Errorf("garbage: %v", err)
	}
}

func TestPKCS12RoundTrip(t *testing.T) {
	f := newFixture(t)
	p12, err := f.valid.PKCS12("segreto")
	if err != nil {
		t.Fatal(err)
	}
	key, cert, chain, err := pkcs12.DecodeChain(p12, "segreto")
	if err != nil {
		t.Fatal(err)
	}
	if !cert.Equal(f.valid.Cert) || key == nil || len(chain) != 1 || !chain[0].Equal(f.ca.Cert) {
		t.Fatalf("decoded %v, chain %d", cert.Subject, len(chain))
	}
	if _, _, _, err := pkcs12.DecodeChain(p12, "sbagliata"); err == nil {
		t.Fatal("a wrong password opened the file")
	}
}
