package attachments_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"esenzioni/adapters/attachments"
	"esenzioni/adapters/signature"
	"esenzioni/internal/testenv"
	"esenzioni/internal/testpki"
	"esenzioni/internal/testsign"
	"esenzioni/store"
)

type fixture struct {
	svc    *attachments.Service
	db     *testenv.DB
	s3     *minio.Client
	bucket string
	ca     *testpki.CA
	signer *testpki.Cert
	dir    string
}

func newFixture(t *testing.T) *fixture {
	db := testenv.Database(t)
	s3, bucket := testenv.S3(t)
	ctx := context.Background()
	require.NoError(t, s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}))
	ca, err := testpki.NewCA("CA DI PROVA")
	require.NoError(t, err)
	signer, err := ca.NewSigner(testpki.SignerOptions{CommonName: "MARIO ROSSI", SerialNumber: "TINIT-RSSMRA80A01H501U"})
	require.NoError(t, err)
	f := &fixture{db: db, s3: s3, bucket: bucket, ca: ca, signer: signer, dir: t.TempDir()}
	f.svc = &attachments.Service{Store: store.New(db.DB), S3: s3, Bucket: bucket, Trust: signature.NewTrustStore(ca.Root()), MaxBytes: 1 << 20}
	return f
}

// openssl runs the real openssl tool, as a signing application would.
func (f *fixture) openssl(t *testing.T, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		testenv.Missing(t, "openssl is not installed")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	require.NoError(t, err, string(out))
}

// opensslCAdES signs content with `openssl cms -sign` (attached, DER).
func (f *fixture) opensslCAdES(t *testing.T, content []byte, s *testpki.Cert) []byte {
	in, cert, key, out := filepath.Join(f.dir, "doc.pdf"), filepath.Join(f.dir, "signer.pem"), filepath.Join(f.dir, "key.pem"), filepath.Join(f.dir, "doc.pdf.p7m")
	require.NoError(t, os.WriteFile(in, content, 0o600))
	require.NoError(t, os.WriteFile(cert, testpki.CertPEM(s.Cert), 0o600))
	kp, err := testpki.KeyPEM(s.Key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(key, kp, 0o600))
	chain := filepath.Join(f.dir, "chain.pem")
	require.NoError(t, os.WriteFile(chain, testpki.CertPEM(s.Chain...), 0o600))
	f.openssl(t, "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
		"-in", in, "-signer", cert, "-inkey", key, "-certfile", chain, "-out", out)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	return b
}

func (f *fixture) objects(t *testing.T) int {
	n := 0
	for obj := range f.s3.ListObjects(context.Background(), f.bucket, minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, obj.Err)
		n++
	}
	return n
}

func (f *fixture) rows(t *testing.T) int {
	var n int
	require.NoError(t, f.db.NewRaw("SELECT count(*) FROM attachment").Scan(context.Background(), &n))
	return n
}

func TestSignedDocumentsAreStoredWithTheirSigner(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pdf := signature.MinimalPDF("Certificato di patologia: diabete insipido")
	p7m := f.opensslCAdES(t, pdf, f.signer)

	a, err := f.svc.Put(ctx, bytes.NewReader(p7m), attachments.Upload{FileName: "../../certificato.pdf.p7m", Role: store.RoleCertificate, StagingKey: "k"})
	require.NoError(t, err)
	require.Equal(t, "certificato.pdf.p7m", a.FileName, "a safe name, path removed")
	require.Equal(t, "CADES", a.SignatureFormat)
	require.Equal(t, "MARIO ROSSI", a.SignerName)
	require.Equal(t, "RSSMRA80A01H501U", a.SignerFC)
	require.NotContains(t, a.ObjectKey, "certificato", "opaque object keys")
	require.NotNil(t, a.ContentObjectKey)

	r, ct, err := f.svc.Open(ctx, a, false)
	require.NoError(t, err)
	orig, _ := io.ReadAll(r)
	r.Close()
	require.Equal(t, p7m, orig, "the signed original, intact")
	require.Equal(t, "application/pkcs7-mime", ct)
	r, ct, err = f.svc.Open(ctx, a, true)
	require.NoError(t, err)
	inner, _ := io.ReadAll(r)
	r.Close()
	require.Equal(t, pdf, inner, "the extracted content")
	require.Equal(t, "application/pdf", ct)

	pades, err := testsign.SignPAdES(pdf, f.signer)
	require.NoError(t, err)
	b, err := f.svc.Put(ctx, bytes.NewReader(pades), attachments.Upload{FileName: "referto.pdf", Role: store.RoleDocument, DocumentType: "CARTELLA_CLINICA", StagingKey: "k"})
	require.NoError(t, err)
	require.Equal(t, "PADES", b.SignatureFormat)
	require.Nil(t, b.ContentObjectKey)
	got, err := store.New(f.db.DB).AttachmentByID(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, "CARTELLA CLINICA ELETTRONICA", got.DocumentTypeLabel)
	require.Len(t, got.SHA256, 32)
}

func TestBadDocumentsAreRefusedAndNothingIsStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pdf := signature.MinimalPDF("Verbale di invalidità")
	good := f.opensslCAdES(t, pdf, f.signer)

	tampered := append([]byte{}, good...)
	i := bytes.Index(tampered, []byte("Verbale"))
	require.Positive(t, i)
	tampered[i] ^= 0x01

	goodPAdES, err := testsign.SignPAdES(pdf, f.signer)
	require.NoError(t, err)
	tamperedPAdES := append([]byte{}, goodPAdES...)
	j := bytes.Index(tamperedPAdES, []byte("Verbale"))
	tamperedPAdES[j] ^= 0x01

	other, err := testpki.NewCA("ALTRA CA")
	require.NoError(t, err)
	stranger, err := other.NewSigner(testpki.SignerOptions{})
	require.NoError(t, err)
	untrusted := f.opensslCAdES(t, pdf, stranger)

	expiredSigner, err := f.ca.NewSigner(testpki.SignerOptions{NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	require.NoError(t, err)
	expired := f.opensslCAdES(t, pdf, expiredSigner)

	noNR, err := f.ca.NewSigner(testpki.SignerOptions{NoNonRepudiation: true})
	require.NoError(t, err)
	noNonRepudiation := f.opensslCAdES(t, pdf, noNR)

	big := append(append([]byte{}, goodPAdES...), bytes.Repeat([]byte{' '}, 1<<20)...)

	cases := []struct {
		name string
		file string
		data []byte
		code string
	}{
		{"tampered CAdES", "a.p7m", tampered, signature.CodeTampered},
		{"tampered PAdES", "a.pdf", tamperedPAdES, signature.CodeTampered},
		{"signer of another CA", "a.p7m", untrusted, signature.CodeUntrusted},
		{"expired certificate", "a.p7m", expired, signature.CodeExpired},
		{"no non-repudiation", "a.p7m", noNonRepudiation, signature.CodeKeyUsage},
		{"PDF without signature", "a.pdf", pdf, signature.CodeUnsigned},
		{"oversized", "a.pdf", big, attachments.CodeTooLarge},
		{"a .p7m that is not PKCS#7", "a.p7m", []byte("questo non è un file firmato\n"), signature.CodeMalformed},
		{"empty", "a.pdf", nil, attachments.CodeEmpty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Put(ctx, bytes.NewReader(tc.data), attachments.Upload{FileName: tc.file, Role: store.RoleCitizen, StagingKey: "k"})
			var ae *attachments.Error
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.code, ae.Code)
			require.NotEmpty(t, ae.Message)
			require.Zero(t, f.objects(t), "no object stored")
			require.Zero(t, f.rows(t), "no metadata stored")
		})
	}
}

func TestStorageDownRefusesAndStoresNoMetadata(t *testing.T) {
	f := newFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	l.Close()
	down, err := minio.New(closed, &minio.Options{Creds: credentials.NewStaticV4("k", "s", ""), MaxRetries: 1})
	require.NoError(t, err)
	f.svc.S3 = down
	pdf, err := testsign.SignPAdES(signature.MinimalPDF("x"), f.signer)
	require.NoError(t, err)
	_, err = f.svc.Put(context.Background(), bytes.NewReader(pdf), attachments.Upload{FileName: "a.pdf", Role: store.RoleCitizen, StagingKey: "k"})
	require.True(t, errors.Is(err, attachments.ErrUnavailable), "%v", err)
	require.Zero(t, f.rows(t), "no metadata without its object")
}

func TestCleanupRemovesOrphansAndStaleStaged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pdf, err := testsign.SignPAdES(signature.MinimalPDF("x"), f.signer)
	require.NoError(t, err)
	kept, err := f.svc.Put(ctx, bytes.NewReader(pdf), attachments.Upload{FileName: "kept.pdf", Role: store.RoleCitizen})
	require.NoError(t, err)
	_, err = f.svc.Put(ctx, bytes.NewReader(pdf), attachments.Upload{FileName: "staged.pdf", Role: store.RoleCitizen, StagingKey: "bozza:x"})
	require.NoError(t, err)
	// An object whose metadata never arrived (a crash between the two).
	_, err = f.s3.PutObject(ctx, f.bucket, "documenti/2026/11/orfano", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
	require.NoError(t, err)
	require.Equal(t, 3, f.objects(t))

	rep, err := f.svc.Cleanup(ctx, 0, 0)
	require.NoError(t, err)
	require.Equal(t, 1, rep.OrphanObjects)
	require.Equal(t, 1, rep.StaleStaged)
	require.Equal(t, 1, f.objects(t))
	require.Equal(t, 1, f.rows(t))
	_, err = store.New(f.db.DB).AttachmentByID(ctx, kept.ID)
	require.NoError(t, err, "confirmed documents stay")

	// A young object is left alone: its metadata may be on its way.
	_, err = f.s3.PutObject(ctx, f.bucket, "documenti/2026/11/in-arrivo", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
	require.NoError(t, err)
	rep, err = f.svc.Cleanup(ctx, time.Hour, 48*time.Hour)
	require.NoError(t, err)
	require.Zero(t, rep.OrphanObjects)
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"C:\\Users\\rossi\\certificato.pdf": "certificato.pdf",
		"../../etc/passwd":                  "passwd",
		"a\"b\nc.pdf":                       "a_b_c.pdf",
		"":                                  "documento",
		"...":                               "documento",
		"referto di José.pdf.p7m":           "referto di José.pdf.p7m",
	} {
		require.Equal(t, want, attachments.SafeFileName(in), in)
	}
}
