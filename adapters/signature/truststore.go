package signature

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"esenzioni/internal/pemcert"
)

// TrustStore holds the certification authorities whose certificates a
// signer's certificate must chain to (for Italian qualified signatures, the
// CA/QC services of the AgID trusted list; see docs/TRUST_STORE.md). Every
// certificate in it is a trust anchor, self-signed or not. A TrustStore is
// safe for concurrent use by Verify.
type TrustStore struct {
	pool  *x509.CertPool
	certs []*x509.Certificate
}

// NewTrustStore returns a trust store of the given certificates (nil ones
// and duplicates are skipped).
func NewTrustStore(certs ...*x509.Certificate) *TrustStore {
	ts := &TrustStore{pool: x509.NewCertPool()}
	seen := map[[32]byte]bool{}
	for _, c := range certs {
		if c == nil {
			continue
		}
		k := sha256.Sum256(c.Raw)
		if seen[k] {
			continue
		}
		seen[k] = true
		ts.pool.AddCert(c)
		ts.certs = append(ts.certs, c)
	}
	return ts
}

// trustStoreExts are the file extensions LoadTrustStore reads.
var trustStoreExts = map[string]bool{".pem": true, ".crt": true, ".cer": true, ".der": true}

// LoadTrustStore reads the CA certificates of the files *.pem, *.crt, *.cer
// and *.der directly in dir (other files and subdirectories are ignored).
// A file is PEM (any number of CERTIFICATE blocks; other block types are
// skipped) or DER (one or more concatenated certificates). A file that
// holds no certificate, or a directory without any, is an error.
func LoadTrustStore(dir string) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("signature: trust store: %w", err)
	}
	var all []*x509.Certificate
	for _, e := range entries {
		if e.IsDir() || !trustStoreExts[strings.ToLower(filepath.Ext(e.Name()))] {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("signature: trust store: %w", err)
		}
		certs, err := ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("signature: trust store: %s: %w", path, err)
		}
		all = append(all, certs...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("signature: trust store: no certificate in %s (*.pem, *.crt, *.cer, *.der)", dir)
	}
	return NewTrustStore(all...), nil
}

// ParseCertificates parses PEM (CERTIFICATE blocks) or DER certificates.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	certs, isPEM, err := pemcert.Certificates(data)
	if isPEM {
		if err == nil && len(certs) == 0 {
			err = fmt.Errorf("no CERTIFICATE PEM block")
		}
		if err != nil {
			return nil, err
		}
		return certs, nil
	}
	out, err := x509.ParseCertificates(data)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no certificate")
	}
	return out, nil
}

// Len is the number of certificates in the store.
func (t *TrustStore) Len() int {
	if t == nil {
		return 0
	}
	return len(t.certs)
}

// Certificates returns the certificates of the store.
func (t *TrustStore) Certificates() []*x509.Certificate {
	if t == nil {
		return nil
	}
	return append([]*x509.Certificate(nil), t.certs...)
}
