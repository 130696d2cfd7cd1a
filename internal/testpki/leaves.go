package testpki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"net"
	"time"
)

// SignerOptions describe a document signer's certificate. The zero value
// gives "MARIO ROSSI", fiscal code "TINIT-RSSMRA80A01H501U",
// non-repudiation, valid from an hour ago for a year, ECDSA P-256.
type SignerOptions struct {
	CommonName string // "-" for none
	GivenName  string
	Surname    string
	// SerialNumber is the subject serialNumber, as in the certificate
	// (e.g. "TINIT-RSSMRA80A01H501U"); "-" for none.
	SerialNumber string
	// NoNonRepudiation leaves contentCommitment out of the key usage
	// (digitalSignature only).
	NoNonRepudiation bool
	// NotBefore and NotAfter, if not zero, set the validity window (e.g. in
	// the past for an expired certificate).
	NotBefore, NotAfter time.Time
	// RSA makes an RSA 2048 key instead of ECDSA P-256.
	RSA bool
}

// NewSigner issues a document signer's certificate.
func (ca *CA) NewSigner(opts SignerOptions) (*Cert, error) {
	var key crypto.Signer
	var err error
	if opts.RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = NewKey()
	}
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{Country: []string{"IT"},
		CommonName:   defaulted(opts.CommonName, "MARIO ROSSI"),
		SerialNumber: defaulted(opts.SerialNumber, "TINIT-RSSMRA80A01H501U")}
	addNames(&subject, opts.GivenName, opts.Surname)
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:   subject,
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.AddDate(1, 0, 0),
		KeyUsage:  x509.KeyUsageContentCommitment,
	}
	if opts.NoNonRepudiation {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if !opts.NotBefore.IsZero() {
		tmpl.NotBefore = opts.NotBefore
	}
	if !opts.NotAfter.IsZero() {
		tmpl.NotAfter = opts.NotAfter
	}
	return ca.issue(tmpl, key)
}

// defaulted reads a SignerOptions name: "" is def, "-" none.
func defaulted(v, def string) string {
	switch v {
	case "":
		return def
	case "-":
		return ""
	}
	return v
}

// addNames adds the givenName and surname attributes that are not empty.
func addNames(subject *pkix.Name, givenName, surname string) {
	if givenName != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidGivenName, Value: givenName})
	}
	if surname != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidSurname, Value: surname})
	}
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

// IssueClient issues an authentication certificate with the profile of the
// Carta Nazionale dei Servizi: subject serialNumber "TINIT-<CF>", common
// name "<CF>/<card number>.<hash>", client authentication.
func (ca *CA) IssueClient(h Holder) (*Cert, error) {
	subject := pkix.Name{Country: []string{"IT"}, Organization: []string{"Carta Nazionale dei Servizi (sviluppo)"}}
	switch {
	case h.CommonName != "":
		subject.CommonName = h.CommonName
	case h.FiscalCode != "":
		card := fmt.Sprintf("80380%015d", randomSerial().Uint64()%1e15)
		sum := sha256.Sum256([]byte(h.FiscalCode + card))
		subject.CommonName = h.FiscalCode + "/" + card + "." + hex.EncodeToString(sum[:])[:28]
	default:
		subject.CommonName = (h.GivenName + " " + h.Surname)
	}
	if h.FiscalCode != "" && !h.NoSerialNumber {
		subject.SerialNumber = "TINIT-" + h.FiscalCode
	}
	addNames(&subject, h.GivenName, h.Surname)
	nb, na := h.NotBefore, h.NotAfter
	if nb.IsZero() {
		nb = time.Now().Add(-time.Hour)
	}
	if na.IsZero() {
		na = nb.AddDate(3, 0, 0)
	}
	return ca.Issue(&x509.Certificate{
		Subject:     subject,
		NotBefore:   nb,
		NotAfter:    na,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// IssueServer issues a TLS server certificate for hosts (names or IPs).
func (ca *CA) IssueServer(hosts ...string) (*Cert, error) {
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0], Organization: []string{"Esenzioni (sviluppo)"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.AddDate(1, 0, 0), // browsers refuse server certificates valid longer than 398 days
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.Issue(tmpl)
}
