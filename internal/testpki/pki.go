// Package testpki mints certificates for development and tests: CAs
// (roots and intermediates), leaf certificates with the profiles the
// application meets (document signers as signature verifies them, CNS-like
// client certificates as the certificate login reads them, TLS servers and
// clients), CRLs, PKCS#12 files, PEM files, and CAdES/CMS signatures made
// with them. Never for production: its keys are generated on the fly or sit
// in files. Signed PDFs need the PDF internals of adapters/signature: see
// internal/testsign.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// CA is a certification authority with its key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Parents are the certificates above Cert, nearest first (empty for a
	// root).
	Parents []*x509.Certificate
}

// Cert is an issued certificate with its key and the certificates of its
// issuers (issuer first, up to the root), which signatures and TLS
// handshakes send along.
type Cert struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate
}

var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// NewCA creates a self-signed root CA (ECDSA P-256) for tests, valid from
// ten years ago to ten years from now.
func NewCA(commonName string) (*CA, error) {
	return newCA(testCA(commonName), nil)
}

// NewSubCA creates an intermediate CA issued by ca, valid as NewCA's.
func (ca *CA) NewSubCA(commonName string) (*CA, error) {
	return newCA(testCA(commonName), ca)
}

func testCA(commonName string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		Subject:   pkix.Name{CommonName: commonName, Organization: []string{"Test"}, Country: []string{"IT"}},
		NotBefore: now.AddDate(-10, 0, 0),
		NotAfter:  now.AddDate(10, 0, 0),
	}
}

// NewDevCA creates the self-signed CA of a development set-up (the CNS
// login, the Temporal cluster's TLS), valid from a year ago for ten years,
// issuing leaf certificates only.
func NewDevCA(commonName string) (*CA, error) {
	now := time.Now()
	return newCA(&x509.Certificate{
		Subject:        pkix.Name{CommonName: commonName, Organization: []string{"Esenzioni (sviluppo)"}, Country: []string{"IT"}},
		NotBefore:      now.AddDate(-1, 0, 0),
		NotAfter:       now.AddDate(10, 0, 0),
		MaxPathLenZero: true,
	}, nil)
}

// newCA completes tmpl (subject and validity) as a CA certificate and
// signs it with parent, or with its own key when parent is nil.
func newCA(tmpl *x509.Certificate, parent *CA) (*CA, error) {
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	if parent == nil {
		parent = &CA{Cert: tmpl, Key: key}
		c, err := parent.issue(tmpl, key)
		if err != nil {
			return nil, err
		}
		return &CA{Cert: c.Cert, Key: key}, nil
	}
	c, err := parent.issue(tmpl, key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c.Cert, Key: key, Parents: c.Chain}, nil
}

// NewKey generates an ECDSA P-256 key, the kind every certificate here
// has unless asked otherwise.
func NewKey() (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// Issue signs tmpl for a new ECDSA P-256 key; a nil SerialNumber gets a
// random one.
func (ca *CA) Issue(tmpl *x509.Certificate) (*Cert, error) {
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	return ca.issue(tmpl, key)
}

func (ca *CA) issue(tmpl *x509.Certificate, key crypto.Signer) (*Cert, error) {
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = randomSerial()
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{Cert: cert, Key: key, Chain: ca.chain()}, nil
}

// chain is what a certificate issued by ca sends along: ca and its parents.
func (ca *CA) chain() []*x509.Certificate {
	return append([]*x509.Certificate{ca.Cert}, ca.Parents...)
}

// Root is the self-signed certificate at the top of ca, the one a trust
// store holds.
func (ca *CA) Root() *x509.Certificate {
	if len(ca.Parents) > 0 {
		return ca.Parents[len(ca.Parents)-1]
	}
	return ca.Cert
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

// CRL returns a PEM CRL of the CA listing the revoked certificates, valid
// from an hour ago for a week.
func (ca *CA) CRL(revoked ...*x509.Certificate) ([]byte, error) {
	now := time.Now()
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(now.UnixNano()),
		ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.AddDate(0, 0, 7),
	}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: c.SerialNumber, RevocationTime: now.Add(-time.Minute),
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}

// PKCS12 encodes the certificate, its key and its chain for a browser or
// an operating system's certificate store. AES-256 and SHA-256 (Modern2023):
// NSS (Chromium and Firefox on Linux) imports it, as do OpenSSL 3 and recent
// Windows; older systems may need a legacy re-encoding.
func (c *Cert) PKCS12(password string) ([]byte, error) {
	return pkcs12.Modern2023.Encode(c.Key, c.Cert, c.Chain, password)
}
