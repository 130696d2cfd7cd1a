package testsign

import (
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/adapters/signature"
	"esenzioni/internal/testpki"
)

// TestHostileFiles: every kind HostileFiles makes is refused.
func TestHostileFiles(t *testing.T) {
	ca, err := testpki.NewCA("Test Qualified CA")
	require.NoError(t, err)
	signer, err := ca.NewSigner(testpki.SignerOptions{})
	require.NoError(t, err)
	ts := signature.NewTrustStore(ca.Root())
	files, err := HostileFiles(ca, signer, signature.MinimalPDF("Esenzione E01 - Mario Rossi"))
	require.NoError(t, err)
	require.Len(t, files, len(RefusedKinds))
	for _, kind := range RefusedKinds {
		_, err := signature.Verify(files[kind], ts, signature.Options{})
		var se *signature.Error
		require.ErrorAs(t, err, &se, kind)
		t.Logf("%s: %s", kind, se.Code)
	}
}

// TestSignPAdES: what SignPAdES makes verifies, with the signer's name.
func TestSignPAdES(t *testing.T) {
	ca, err := testpki.NewCA("Test Qualified CA")
	require.NoError(t, err)
	signer, err := ca.NewSigner(testpki.SignerOptions{CommonName: "GIOVANNI VERDI"})
	require.NoError(t, err)
	pdf, err := SignPAdES(signature.MinimalPDF("documento"), signer)
	require.NoError(t, err)
	res, err := signature.Verify(pdf, signature.NewTrustStore(ca.Root()), signature.Options{})
	require.NoError(t, err)
	require.Equal(t, signature.PAdES, res.Format)
	require.Equal(t, "GIOVANNI VERDI", res.SignerName)
	require.Contains(t, string(pdf), "/Name (GIOVANNI VERDI)")
}
