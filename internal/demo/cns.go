package demo

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"esenzioni/adapters/auth/cns"
	"esenzioni/internal/testpki"
)

// CNSPassword protects the demo PKCS#12 files. Public: demo only.
const CNSPassword = "esenzioni"

// CNSFiles are the demo CA's files for certificate login (`esenzioni dev`).
type CNSFiles struct {
	CADir      string // CNS_CA_DIR: the demo CA certificate
	CRLDir     string // CNS_CRL_DIR: its CRL, listing revocato.p12
	ServerCert string // CNS_TLS_CERT: the certificate listener's, for localhost
	ServerKey  string // CNS_TLS_KEY
	CertDir    string // <username>.p12 for each demo operator, and the refusal samples
}

// LoadOrCreateCNS keeps a demo CA issuing CNS-like certificates in dir: a
// certificate and PKCS#12 file (password CNSPassword) for each demo
// operator, and samples that are refused (scaduto, revocato,
// senza-codice-fiscale, nessuna-utenza); the listener's server certificate
// for localhost and 127.0.0.1; a CRL refreshed at every start. Files already
// there are kept.
func LoadOrCreateCNS(dir string) (CNSFiles, error) {
	f := CNSFiles{CADir: filepath.Join(dir, "ca"), CRLDir: filepath.Join(dir, "crl"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server.key"),
		CertDir: filepath.Join(dir, "certificati")}
	keys := filepath.Join(dir, "chiavi")
	for _, d := range []string{f.CADir, f.CRLDir, f.CertDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return f, err
		}
	}
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return f, err
	}
	ca, err := testpki.Load(keys)
	if errors.Is(err, os.ErrNotExist) {
		if ca, err = testpki.NewDevCA("CA CNS DI PROVA ESENZIONI (SOLO DEMO)"); err != nil {
			return f, err
		}
		if err := ca.Save(keys); err != nil {
			return f, err
		}
	} else if err != nil {
		return f, fmt.Errorf("demo CNS CA: %w", err)
	}
	if err := os.WriteFile(filepath.Join(f.CADir, "ca-cns-demo.pem"), testpki.CertPEM(ca.Cert), 0o644); err != nil {
		return f, err
	}
	if !validFor(f.ServerCert, 24*time.Hour) {
		srv, err := ca.IssueServer("localhost", "127.0.0.1")
		if err != nil {
			return f, err
		}
		if err := testpki.WritePair(f.ServerCert, f.ServerKey, srv.Cert, srv.Key); err != nil {
			return f, err
		}
	}
	samples := []struct {
		name   string
		holder testpki.Holder
	}{
		{"scaduto", testpki.Holder{FiscalCode: Identities()[0].FiscalCode, GivenName: Identities()[0].GivenName, Surname: Identities()[0].FamilyName,
			NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(0, 0, -1)}},
		{"revocato", testpki.Holder{FiscalCode: Identities()[0].FiscalCode, GivenName: Identities()[0].GivenName, Surname: Identities()[0].FamilyName}},
		{"senza-codice-fiscale", testpki.Holder{GivenName: "MARIO", Surname: "ROSSI"}},
		{"nessuna-utenza", testpki.Holder{FiscalCode: NoAccount().FiscalCode, GivenName: NoAccount().GivenName, Surname: NoAccount().FamilyName}},
	}
	for _, id := range Identities() {
		samples = append(samples, struct {
			name   string
			holder testpki.Holder
		}{id.Username, testpki.Holder{FiscalCode: id.FiscalCode, GivenName: id.GivenName, Surname: id.FamilyName}})
	}
	for _, s := range samples {
		p12 := filepath.Join(f.CertDir, s.name+".p12")
		if _, err := os.Stat(p12); err == nil && (s.name == "scaduto" || validFor(filepath.Join(f.CertDir, s.name+".pem"), 24*time.Hour)) {
			continue
		}
		c, err := ca.IssueClient(s.holder)
		if err != nil {
			return f, err
		}
		b, err := c.PKCS12(CNSPassword)
		if err != nil {
			return f, err
		}
		if err := os.WriteFile(filepath.Join(f.CertDir, s.name+".pem"), testpki.CertPEM(c.Cert), 0o644); err != nil {
			return f, err
		}
		if err := os.WriteFile(p12, b, 0o600); err != nil {
			return f, err
		}
	}
	// The CRL lists the "revocato" sample; written at every start so that
	// it is never past its next update.
	revoked, err := readCert(filepath.Join(f.CertDir, "revocato.pem"))
	if err != nil {
		return f, err
	}
	crl, err := ca.CRL(revoked)
	if err != nil {
		return f, err
	}
	return f, os.WriteFile(filepath.Join(f.CRLDir, "ca-cns-demo.crl"), crl, 0o644)
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := cns.ParseCertificates(b)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate (%v)", path, err)
	}
	return certs[0], nil
}

// validFor reports whether the certificate in path is valid for d more.
func validFor(path string, d time.Duration) bool {
	c, err := readCert(path)
	return err == nil && time.Now().Add(d).Before(c.NotAfter)
}
