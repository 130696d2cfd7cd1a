package testpki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CertPEM encodes certificates as PEM.
func CertPEM(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// KeyPEM encodes a private key as PKCS#8 PEM ("PRIVATE KEY"), as openssl
// reads it.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
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
	return WritePair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile), ca.Cert, ca.Key)
}

// Load reads a root CA written by Save.
func Load(dir string) (*CA, error) {
	cert, key, err := ReadPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// WritePair writes a certificate (PEM, 0644) and its key (PKCS#8 PEM,
// 0600).
func WritePair(certPath, keyPath string, cert *x509.Certificate, key crypto.Signer) error {
	kp, err := KeyPEM(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, kp, 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, CertPEM(cert), 0o644)
}

// ReadPair reads a certificate and its key as WritePair writes them; a
// missing file gives an error matching os.ErrNotExist.
func ReadPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	certDER, err := readPEM(certPath)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := readPEM(keyPath)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certPath, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New(keyPath + " holds no signing key")
	}
	return cert, signer, nil
}

// readPEM returns the contents of the first PEM block in path.
func readPEM(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s is not PEM", path)
	}
	return block.Bytes, nil
}
