// Package cns checks the client certificates operators log in with: the
// authentication certificate of the Carta Nazionale dei Servizi (CNS, and
// the Tessera Sanitaria-CNS) or a software certificate of the same profile.
//
// A certificate is accepted when it chains to one of the configured CAs (the
// CNS issuers, a directory of PEM files), is valid now, may be used for
// client authentication, is not revoked (CRL files of the CAs, reloaded when
// they change, and an OCSP responder when configured) and carries the
// holder's codice fiscale with a correct check character, as CNS
// certificates do: subject serialNumber "TINIT-<CF>" (older cards "IT:<CF>"
// or the bare code) or a common name "<CF>/<card number>.<hash>".
package cns

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"esenzioni/domain/fiscalcode"
)

// Reasons of a refusal: stable machine codes, written to the audit log and
// used by tests. Error.Message is the Italian text for the operator.
const (
	ReasonMissing      = "certificato.assente"           // no certificate presented
	ReasonMalformed    = "certificato.illeggibile"       // cannot be parsed
	ReasonUntrusted    = "certificato.ca_non_fidata"     // does not chain to a configured CA
	ReasonExpired      = "certificato.scaduto"           // past NotAfter
	ReasonNotYetValid  = "certificato.non_ancora_valido" // before NotBefore
	ReasonUsage        = "certificato.uso_non_ammesso"   // not for client authentication
	ReasonRevoked      = "certificato.revocato"          // listed by a CRL or OCSP
	ReasonRevocation   = "certificato.verifica_revoca"   // OCSP responder unreachable or unsure
	ReasonNoFiscalCode = "certificato.senza_codice_fiscale"
	ReasonFiscalCode   = "certificato.codice_fiscale_non_valido"
	// ReasonUntrustedProxy: the certificate header came from an address
	// that is not a trusted proxy.
	ReasonUntrustedProxy = "certificato.proxy_non_fidato"
)

// Error is a refused certificate.
type Error struct {
	Reason  string // one of the Reason* constants
	Message string // Italian, for the login page
	Err     error  // the underlying cause, for logs
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func refuse(reason string, err error) *Error {
	return &Error{Reason: reason, Message: messages[reason], Err: err}
}

var messages = map[string]string{
	ReasonMissing:        "Il browser non ha presentato alcun certificato valido: inserisci la carta nel lettore (o importa il certificato nel browser), verifica che il certificato non sia scaduto (i browser non propongono i certificati scaduti) e riprova.",
	ReasonMalformed:      "Il certificato presentato non è leggibile.",
	ReasonUntrusted:      "Il certificato non è stato emesso da un'autorità di certificazione riconosciuta per l'accesso (CNS/TS-CNS).",
	ReasonExpired:        "Il certificato è scaduto: rinnova la carta o il certificato e riprova.",
	ReasonNotYetValid:    "Il certificato non è ancora valido.",
	ReasonUsage:          "Il certificato presentato non è un certificato di autenticazione.",
	ReasonRevoked:        "Il certificato è stato revocato.",
	ReasonRevocation:     "Non è stato possibile verificare se il certificato è revocato: riprova tra qualche minuto.",
	ReasonNoFiscalCode:   "Il certificato non contiene un codice fiscale: usa la carta CNS/TS-CNS o un certificato di autenticazione intestato a te.",
	ReasonFiscalCode:     "Il codice fiscale del certificato non è valido.",
	ReasonUntrustedProxy: "Il certificato non è stato ricevuto attraverso il proxy autorizzato: l'accesso con certificato non è disponibile da questa rete.",
}

// Message returns the Italian text of a reason.
func Message(reason string) string { return messages[reason] }

// Identity is what an accepted certificate tells about its holder.
type Identity struct {
	FiscalCode string // upper case, check character verified
	Issuer     string // common name of the issuing CA, for logs
}

// Options configure a Verifier.
type Options struct {
	// CADir holds the trusted CA certificates (PEM, any file name; several
	// certificates per file allowed). Self-signed ones are roots, the others
	// intermediates.
	CADir string
	// CRLDir holds certificate revocation lists (PEM or DER), each checked
	// against the CA that signed it. Files are read again when they change.
	CRLDir string
	// OCSPURL is an OCSP responder asked about every certificate; "aia"
	// asks the responder named in the certificate itself. Empty: no OCSP.
	OCSPURL string
	// OCSPTimeout bounds an OCSP request (default 5 s).
	OCSPTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier checks certificates against a CA set.
type Verifier struct {
	roots, intermediates *x509.CertPool
	cas                  []*x509.Certificate
	crls                 *crlSet
	ocsp                 *ocspChecker
	now                  func() time.Time
}

// NewVerifier loads the CAs (and the CRLs) of opts.
func NewVerifier(opts Options) (*Verifier, error) {
	if opts.CADir == "" {
		return nil, errors.New("cns: no CA directory configured")
	}
	cas, err := loadCertificates(opts.CADir)
	if err != nil {
		return nil, err
	}
	if len(cas) == 0 {
		return nil, fmt.Errorf("cns: no CA certificate in %s", opts.CADir)
	}
	v := &Verifier{roots: x509.NewCertPool(), intermediates: x509.NewCertPool(), cas: cas, now: opts.Now}
	if v.now == nil {
		v.now = time.Now
	}
	for _, c := range cas {
		if isSelfSigned(c) {
			v.roots.AddCert(c)
		} else {
			v.intermediates.AddCert(c)
			// An intermediate configured on purpose is trusted as an
			// anchor too: a deployment may list only the issuing CAs.
			v.roots.AddCert(c)
		}
	}
	if opts.CRLDir != "" {
		v.crls = newCRLSet(opts.CRLDir, cas)
		if err := v.crls.reload(); err != nil {
			return nil, err
		}
	}
	if opts.OCSPURL != "" {
		timeout := opts.OCSPTimeout
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		v.ocsp = &ocspChecker{url: opts.OCSPURL, timeout: timeout}
	}
	return v, nil
}

// Verify checks the chain a client presented (leaf first, as in TLS) and
// returns the holder's identity, or an *Error.
func (v *Verifier) Verify(ctx context.Context, chain []*x509.Certificate) (Identity, error) {
	if len(chain) == 0 || chain[0] == nil {
		return Identity{}, refuse(ReasonMissing, nil)
	}
	leaf := chain[0]
	now := v.now()
	// Validity first: an expired card deserves that message, not a generic
	// chain error.
	if now.After(leaf.NotAfter) {
		return Identity{}, refuse(ReasonExpired, fmt.Errorf("expired on %s", leaf.NotAfter.Format(time.RFC3339)))
	}
	if now.Before(leaf.NotBefore) {
		return Identity{}, refuse(ReasonNotYetValid, nil)
	}
	inter := v.intermediates
	if len(chain) > 1 {
		inter = inter.Clone()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.IncompatibleUsage {
			return Identity{}, refuse(ReasonUsage, err)
		}
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return Identity{}, refuse(ReasonExpired, err) // an expired CA
		}
		return Identity{}, refuse(ReasonUntrusted, err)
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return Identity{}, refuse(ReasonUsage, errors.New("key usage lacks digitalSignature"))
	}
	verified := chains[0]
	issuer := leaf
	if len(verified) > 1 {
		issuer = verified[1]
	}
	if v.crls != nil {
		// Every certificate below the anchor must be unrevoked.
		for i := 0; i+1 < len(verified); i++ {
			if err := v.crls.check(verified[i], verified[i+1], now); err != nil {
				return Identity{}, err
			}
		}
	}
	if v.ocsp != nil {
		if err := v.ocsp.check(ctx, leaf, issuer); err != nil {
			return Identity{}, err
		}
	}
	fc, err := FiscalCode(leaf)
	if err != nil {
		return Identity{}, err
	}
	return Identity{FiscalCode: fc, Issuer: issuer.Subject.CommonName}, nil
}

// FiscalCode extracts and checks the holder's codice fiscale.
func FiscalCode(cert *x509.Certificate) (string, error) {
	candidate := ""
	if sn := strings.ToUpper(strings.TrimSpace(cert.Subject.SerialNumber)); sn != "" {
		for _, p := range []string{"TINIT-", "IT:"} {
			if after, ok := strings.CutPrefix(sn, p); ok {
				sn = strings.TrimSpace(after)
				break
			}
		}
		if len(sn) == 16 {
			candidate = sn
		}
	}
	if candidate == "" {
		// CNS: CN = "<CF>/<card number>.<hash>".
		cn := strings.ToUpper(strings.TrimSpace(cert.Subject.CommonName))
		if before, _, ok := strings.Cut(cn, "/"); ok && len(strings.TrimSpace(before)) == 16 {
			candidate = strings.TrimSpace(before)
		}
	}
	if candidate == "" {
		return "", refuse(ReasonNoFiscalCode, nil)
	}
	code, err := fiscalcode.Parse(candidate, nil)
	if err != nil {
		return "", refuse(ReasonFiscalCode, err)
	}
	return code.Normalized, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignatureFrom(c) == nil && string(c.RawIssuer) == string(c.RawSubject)
}

// loadCertificates reads every certificate of the regular files in dir.
func loadCertificates(dir string) ([]*x509.Certificate, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cns: CA directory: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []*x509.Certificate
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("cns: %w", err)
		}
		certs, err := ParseCertificates(b)
		if err != nil {
			return nil, fmt.Errorf("cns: %s: %w", filepath.Join(dir, n), err)
		}
		out = append(out, certs...)
	}
	return out, nil
}
