package pemcert

import (
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/internal/testpki"
)

func TestBlocksAndCertificates(t *testing.T) {
	ca, err := testpki.NewCA("CA")
	require.NoError(t, err)
	crl, err := ca.CRL()
	require.NoError(t, err)
	key, err := testpki.KeyPEM(ca.Key)
	require.NoError(t, err)
	mixed := append(append(append([]byte("# bundle\n"), key...), testpki.CertPEM(ca.Cert, ca.Cert)...), crl...)

	ders, isPEM := Blocks(mixed, "X509 CRL")
	require.True(t, isPEM)
	require.Len(t, ders, 1)
	certs, isPEM, err := Certificates(mixed)
	require.NoError(t, err)
	require.True(t, isPEM)
	require.Len(t, certs, 2)
	require.Equal(t, ca.Cert.Raw, certs[1].Raw)

	certs, isPEM, err = Certificates(key)
	require.NoError(t, err)
	require.True(t, isPEM)
	require.Empty(t, certs)

	certs, isPEM, err = Certificates(ca.Cert.Raw)
	require.NoError(t, err)
	require.False(t, isPEM, "DER is left to the caller")
	require.Empty(t, certs)

	_, _, err = Certificates(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	require.Error(t, err)
}
