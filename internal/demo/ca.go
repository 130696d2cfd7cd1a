package demo

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"esenzioni/adapters/signature"
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
func LoadOrCreateCA(trustDir string) (*signature.TestCA, *signature.TestSigner, error) {
	keyDir := filepath.Join(filepath.Dir(trustDir), caKeysDirName)
	if err := os.MkdirAll(trustDir, 0o755); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, nil, err
	}
	caCert, caKey, err := readPair(filepath.Join(trustDir, caFile), filepath.Join(keyDir, caKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		ca, err := signature.NewTestCA("CA DI PROVA ESENZIONI (SOLO DEMO)")
		if err != nil {
			return nil, nil, err
		}
		if err := writePair(filepath.Join(trustDir, caFile), filepath.Join(keyDir, caKeyFile), ca.Cert, ca.Key); err != nil {
			return nil, nil, err
		}
		caCert, caKey = ca.Cert, ca.Key
	} else if err != nil {
		return nil, nil, err
	}
	ca := &signature.TestCA{Cert: caCert, Key: caKey}
	sCert, sKey, err := readPair(filepath.Join(keyDir, signerFile), filepath.Join(keyDir, signerKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		s, err := ca.NewSigner(signature.TestSignerOptions{CommonName: signerName, SerialNumber: signerFiscal})
		if err != nil {
			return nil, nil, err
		}
		if err := writePair(filepath.Join(keyDir, signerFile), filepath.Join(keyDir, signerKeyFile), s.Cert, s.Key); err != nil {
			return nil, nil, err
		}
		return ca, s, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return ca, &signature.TestSigner{Cert: sCert, Key: sKey, Chain: []*x509.Certificate{caCert}}, nil
}

func readPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	certs, err := signature.ParseCertificates(cb)
	if err != nil || len(certs) == 0 {
		return nil, nil, fmt.Errorf("demo CA: %s: %v", certPath, err)
	}
	block, _ := pem.Decode(kb)
	if block == nil {
		return nil, nil, fmt.Errorf("demo CA: %s is not PEM", keyPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("demo CA: %s: %w", keyPath, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("demo CA: %s holds no signing key", keyPath)
	}
	return certs[0], signer, nil
}

func writePair(certPath, keyPath string, cert *x509.Certificate, key crypto.Signer) error {
	kp, err := signature.KeyPEM(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, kp, 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, signature.CertPEM(cert), 0o644)
}
