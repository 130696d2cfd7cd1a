package demo

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"

	"esenzioni/internal/testpki"
)

// Demo signing material, kept in a directory (by `esenzioni dev`: the trust
// store directory under the data directory). The CA is a development CA:
// the trust store of a real deployment holds the AgID trusted list instead
// (docs/TRUST_STORE.md).
const (
	caFile        = "ca-demo-esenzioni.pem"
	caKeyFile     = "ca-demo-esenzioni.key"
	signerFile    = "firmatario-demo.pem"
	signerKeyFile = "firmatario-demo.key"
	signerFiscal  = "TINIT-VRDGNN66E04L219X"
	signerName    = "GIOVANNI VERDI"
	caKeysDirName = "chiavi-demo" // private keys stay out of the trust store
)

// LoadOrCreateCA returns the demo CA and a demo signer (a specialist
// doctor), creating them on first use: the CA certificate in trustDir (so
// the trust store accepts what the signer signs) and the keys in a
// sibling directory.
func LoadOrCreateCA(trustDir string) (*testpki.CA, *testpki.Cert, error) {
	keyDir := filepath.Join(filepath.Dir(trustDir), caKeysDirName)
	if err := os.MkdirAll(trustDir, 0o755); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, nil, err
	}
	caCert, caKey, err := testpki.ReadPair(filepath.Join(trustDir, caFile), filepath.Join(keyDir, caKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		ca, err := testpki.NewCA("CA DI PROVA ESENZIONI (SOLO DEMO)")
		if err != nil {
			return nil, nil, err
		}
		if err := testpki.WritePair(filepath.Join(trustDir, caFile), filepath.Join(keyDir, caKeyFile), ca.Cert, ca.Key); err != nil {
			return nil, nil, err
		}
		caCert, caKey = ca.Cert, ca.Key
	} else if err != nil {
		return nil, nil, err
	}
	ca := &testpki.CA{Cert: caCert, Key: caKey}
	sCert, sKey, err := testpki.ReadPair(filepath.Join(keyDir, signerFile), filepath.Join(keyDir, signerKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		s, err := ca.NewSigner(testpki.SignerOptions{CommonName: signerName, SerialNumber: signerFiscal})
		if err != nil {
			return nil, nil, err
		}
		if err := testpki.WritePair(filepath.Join(keyDir, signerFile), filepath.Join(keyDir, signerKeyFile), s.Cert, s.Key); err != nil {
			return nil, nil, err
		}
		return ca, s, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return ca, &testpki.Cert{Cert: sCert, Key: sKey, Chain: []*x509.Certificate{caCert}}, nil
}
