package testpki

import (
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChains: a signer under an intermediate verifies up to the root, with
// its chain issuer first.
func TestChains(t *testing.T) {
	root, err := NewCA("Root")
	require.NoError(t, err)
	sub, err := root.NewSubCA("Sub")
	require.NoError(t, err)
	require.Equal(t, root.Cert, sub.Root())
	s, err := sub.NewSigner(SignerOptions{CommonName: "-", GivenName: "ANNA", Surname: "NERI"})
	require.NoError(t, err)
	require.Equal(t, []*x509.Certificate{sub.Cert, root.Cert}, s.Chain)
	require.Empty(t, s.Cert.Subject.CommonName)
	require.Equal(t, "TINIT-RSSMRA80A01H501U", s.Cert.Subject.SerialNumber)
	require.Equal(t, x509.KeyUsageContentCommitment, s.Cert.KeyUsage)
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter.AddCert(sub.Cert)
	_, err = s.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err)
}

// TestDevCA: the CNS profile, the server certificate, the CRL and the
// files a development set-up keeps.
func TestDevCA(t *testing.T) {
	ca, err := NewDevCA("Dev")
	require.NoError(t, err)
	require.True(t, ca.Cert.MaxPathLenZero)
	c, err := ca.IssueClient(Holder{FiscalCode: "RSSMRA80A01H501U", GivenName: "MARIO", Surname: "ROSSI"})
	require.NoError(t, err)
	require.Equal(t, "TINIT-RSSMRA80A01H501U", c.Cert.Subject.SerialNumber)
	require.True(t, strings.HasPrefix(c.Cert.Subject.CommonName, "RSSMRA80A01H501U/80380"), c.Cert.Subject.CommonName)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, c.Cert.ExtKeyUsage)
	srv, err := ca.IssueServer("localhost", "127.0.0.1")
	require.NoError(t, err)
	require.NoError(t, srv.Cert.VerifyHostname("127.0.0.1"))
	require.NoError(t, srv.Cert.VerifyHostname("localhost"))

	crlPEM, err := ca.CRL(c.Cert)
	require.NoError(t, err)
	block, _ := pem.Decode(crlPEM)
	require.NotNil(t, block)
	crl, err := x509.ParseRevocationList(block.Bytes)
	require.NoError(t, err)
	require.NoError(t, crl.CheckSignatureFrom(ca.Cert))
	require.Len(t, crl.RevokedCertificateEntries, 1)
	require.Equal(t, c.Cert.SerialNumber, crl.RevokedCertificateEntries[0].SerialNumber)

	dir := t.TempDir()
	require.NoError(t, ca.Save(dir))
	loaded, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, ca.Cert.Raw, loaded.Cert.Raw)
	require.Equal(t, ca.Key.Public(), loaded.Key.Public())
	_, _, err = ReadPair(filepath.Join(dir, "missing.pem"), filepath.Join(dir, CAKeyFile))
	require.ErrorIs(t, err, fs.ErrNotExist)
}
