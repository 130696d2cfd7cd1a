// Package cnsca is a certification authority for development and tests: it
// issues client certificates with the profile of the Carta Nazionale dei
// Servizi (subject serialNumber "TINIT-<CF>", common name
// "<CF>/<card number>.<hash>", client authentication), server certificates
// for the certificate-login listener, CRLs, and PKCS#12 files to import a
// certificate into a browser. Never for production: its keys sit in files.
package cnsca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// CA is an issuing CA with its key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Cert is an issued certificate with its key.
type Cert struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // issuer first
}

var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// New creates a self-signed CA valid from a year ago for ten years.
func New(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"Esenzioni (sviluppo)"}, Country: []string{"IT"}},
		NotBefore:             now.AddDate(-1, 0, 0),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Holder describes the owner of a CNS-like certificate.
type Holder struct {
	FiscalCode string // "" issues a certificate without any fiscal code
	GivenName  string
	Surname    string
	// CommonName overrides the CNS common name "<CF>/<card>.<hash>".
	CommonName string
	// NoSerialNumber leaves the subject serialNumber out (the fiscal code
	// is then only in the common name, as on older cards).
	NoSerialNumber bool
	// NotBefore and NotAfter default to an hour ago and three years on.
	NotBefore, NotAfter time.Time
}

// IssueClient issues a CNS-like authentication certificate.
func (ca *CA) IssueClient(h Holder) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{Country: []string{"IT"}, Organization: []string{"Carta Nazionale dei Servizi (sviluppo)"}}
	switch {
	case h.CommonName != "":
		subject.CommonName = h.CommonName
	case h.FiscalCode != "":
		card := fmt.Sprintf("80380%015d", serial().Uint64()%1e15)
		sum := sha256.Sum256([]byte(h.FiscalCode + card))
		subject.CommonName = h.FiscalCode + "/" + card + "." + hex.EncodeToString(sum[:])[:28]
	default:
		subject.CommonName = (h.GivenName + " " + h.Surname)
	}
	if h.FiscalCode != "" && !h.NoSerialNumber {
		subject.SerialNumber = "TINIT-" + h.FiscalCode
	}
	if h.GivenName != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidGivenName, Value: h.GivenName})
	}
	if h.Surname != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidSurname, Value: h.Surname})
	}
	nb, na := h.NotBefore, h.NotAfter
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour)
	}
	if na.IsZero() {
		na = nb.AddDate(3, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    nb,
		NotAfter:     na,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.issue(tmpl, key)
}

// IssueServer issues a TLS server certificate for hosts (names or IPs).
func (ca *CA) IssueServer(hosts ...string) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Esenzioni (sviluppo)"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0), // browsers refuse server certificates valid longer than 398 days
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tmpl, key)
}

func (ca *CA) issue(tmpl *x509.Certificate, key crypto.Signer) (*Cert, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{Cert: cert, Key: key, Chain: []*x509.Certificate{ca.Cert}}, nil
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

// CertPEM is the PEM encoding of a certificate.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM is the PKCS#8 PEM encoding of a key.
func KeyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Files of a CA saved in a directory.
const (
	CAFile    = "ca.pem"
	CAKeyFile = "ca.key"
)

// Save writes the CA certificate and key into dir.
func (ca *CA) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return WritePair(dir, "ca", ca.Cert, ca.Key)
}

// Load reads a CA written by Save.
func Load(dir string) (*CA, error) {
	cert, key, err := ReadPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// WritePair writes name.pem (certificate, 0644) and name.key (0600) in dir.
func WritePair(dir, name string, cert *x509.Certificate, key crypto.Signer) error {
	kp, err := KeyPEM(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), kp, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".pem"), CertPEM(cert), 0o644)
}

// ReadPair reads a certificate and its PKCS#8 key.
func ReadPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(cb)
	if block == nil {
		return nil, nil, fmt.Errorf("%s is not PEM", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certPath, err)
	}
	kblock, _ := pem.Decode(kb)
	if kblock == nil {
		return nil, nil, fmt.Errorf("%s is not PEM", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(kblock.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New(keyPath + " holds no signing key")
	}
	return cert, signer, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n.Add(n, big.NewInt(1))
}
