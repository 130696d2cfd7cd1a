package devstack

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"testing"
)

// TestSecurityMaterial: the cluster's certificates chain to its CA with the
// names and usages the frontend and the clients need, each with its key,
// and the JWKS is served.
func TestSecurityMaterial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := NewSecurity(t.TempDir(), "esenzioni", port)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	caPEM, err := os.ReadFile(s.CA())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA certificate")
	}
	for _, c := range []struct {
		who, host string
		usage     x509.ExtKeyUsage
	}{
		{"frontend", FrontendServerName, x509.ExtKeyUsageServerAuth},
		{"frontend", "127.0.0.1", x509.ExtKeyUsageClientAuth},
		{"internode", internodeServerName, x509.ExtKeyUsageServerAuth},
		{"app", "", x509.ExtKeyUsageClientAuth},
		{Supervisors[0], "", x509.ExtKeyUsageClientAuth},
	} {
		pair, err := tls.LoadX509KeyPair(s.ClientCert(c.who), s.ClientKey(c.who))
		if err != nil {
			t.Fatalf("%s: %v", c.who, err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: c.host, KeyUsages: []x509.ExtKeyUsage{c.usage}}); err != nil {
			t.Errorf("%s for %q: %v", c.who, c.host, err)
		}
	}
	if _, err := s.TLSConfig("app"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS: %s", resp.Status)
	}
}
