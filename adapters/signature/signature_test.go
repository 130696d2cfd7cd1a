package signature

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esenzioni/internal/testpki"
)

// fixture is a test CA with a few signers, shared by the tests.
type fixture struct {
	ca      *testpki.CA
	ts      *TrustStore
	signer  *testpki.Cert // ECDSA, TINIT- fiscal code, non-repudiation
	rsa     *testpki.Cert // RSA, plain fiscal code
	other   *testpki.Cert // issued by a CA that is not trusted
	expired *testpki.Cert // valid two years ago to one year ago
	future  *testpki.Cert // valid from tomorrow
	noNR    *testpki.Cert // digitalSignature only
	doc     []byte        // MinimalPDF
}

var (
	fxOnce sync.Once
	fxVal  *fixture
	fxErr  error
)

const docText = "Esenzione E01 - Mario Rossi\nCertificato medico firmato"

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fxOnce.Do(func() { fxVal, fxErr = newFixture() })
	require.NoError(t, fxErr)
	return fxVal
}

func newFixture() (*fixture, error) {
	f := &fixture{doc: MinimalPDF(docText)}
	var err error
	if f.ca, err = testpki.NewCA("Test Qualified CA"); err != nil {
		return nil, err
	}
	f.ts = NewTrustStore(f.ca.Root())
	otherCA, err := testpki.NewCA("Untrusted CA")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	mk := []struct {
		dst  **testpki.Cert
		ca   *testpki.CA
		opts testpki.SignerOptions
	}{
		{&f.signer, f.ca, testpki.SignerOptions{}},
		{&f.rsa, f.ca, testpki.SignerOptions{CommonName: "GIULIA BIANCHI", SerialNumber: "BNCGLI85M41L219K", RSA: true}},
		{&f.other, otherCA, testpki.SignerOptions{}},
		{&f.expired, f.ca, testpki.SignerOptions{NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(-1, 0, 0)}},
		{&f.future, f.ca, testpki.SignerOptions{NotBefore: now.AddDate(0, 0, 1), NotAfter: now.AddDate(1, 0, 0)}},
		{&f.noNR, f.ca, testpki.SignerOptions{NoNonRepudiation: true}},
	}
	for _, m := range mk {
		if *m.dst, err = m.ca.NewSigner(m.opts); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// signPDF signs pdf with s as testsign.SignPAdES does (testsign imports
// this package, so these tests cannot import it), varied by layout.
func signPDF(pdf []byte, s *testpki.Cert, layout padesLayout) ([]byte, error) {
	if layout.sign == nil {
		layout.sign = func(b []byte) ([]byte, error) { return testpki.SignCMS(b, s, true) }
	}
	return signPAdES(pdf, s.Cert.Subject.CommonName, layout)
}

// tool returns the path of a required external program: the tests fail
// without it (CI installs openssl and poppler-utils).
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by these tests (apt-get install openssl poppler-utils): %v", name, err)
	}
	return p
}

func run(t testing.TB, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), stderr.String())
	return out
}

func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
}

// opensslSign signs content with openssl cms as the task describes:
// -sign -binary -nodetach -outform DER -md sha256 -certfile issuers; extra
// arguments are appended (a later -outform wins).
func opensslSign(t testing.TB, content []byte, s *testpki.Cert, extra ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	key, err := testpki.KeyPEM(s.Key)
	require.NoError(t, err)
	writeFiles(t, dir, map[string][]byte{
		"doc.pdf":    content,
		"signer.pem": testpki.CertPEM(s.Cert),
		"key.pem":    key,
		"ca.pem":     testpki.CertPEM(s.Chain...),
	})
	args := []string{"cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
		"-in", "doc.pdf", "-signer", "signer.pem", "-inkey", "key.pem", "-certfile", "ca.pem", "-out", "doc.pdf.p7m"}
	run(t, dir, "openssl", append(args, extra...)...)
	out, err := os.ReadFile(filepath.Join(dir, "doc.pdf.p7m"))
	require.NoError(t, err)
	return out
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	var se *Error
	require.True(t, errors.As(err, &se), "not a *signature.Error: %T %v", err, err)
	assert.Equal(t, code, se.Code, "message: %s", se.Message)
	assert.NotEmpty(t, se.Message)
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"in.pdf": pdf})
	return string(run(t, dir, "pdftotext", "-layout", "in.pdf", "-"))
}

func flipByteAt(data []byte, i int) []byte {
	c := bytes.Clone(data)
	c[i] ^= 0x01
	return c
}

func TestSniff(t *testing.T) {
	f := getFixture(t)
	p7m := opensslSign(t, f.doc, f.signer)
	ber := opensslSign(t, f.doc, f.signer, "-stream")
	pemP7m := opensslSign(t, f.doc, f.signer, "-outform", "PEM")
	bare := base64.StdEncoding.EncodeToString(p7m)
	random := make([]byte, 600)
	_, _ = rand.Read(random)
	enveloped := opensslEncrypt(t, f.doc, f.signer)

	cases := []struct {
		name string
		in   []byte
		want Format
	}{
		{"pdf", f.doc, FormatPDF},
		{"pdf with BOM", append([]byte("\xEF\xBB\xBF"), f.doc...), FormatPDF},
		{"pdf with leading space", append([]byte(" "), f.doc...), FormatUnknown},
		{"der", p7m, FormatCMS},
		{"der head only", p7m[:SniffLen], FormatCMS},
		{"ber indefinite", ber, FormatCMS},
		{"pem", pemP7m, FormatCMS},
		{"pkcs7 armour", []byte("-----BEGIN PKCS7-----\r\n" + bare[:64] + "\r\n" + bare[64:128] + "\r\n"), FormatCMS},
		{"bare base64", []byte(bare), FormatCMS},
		{"bare base64 with BOM and newline", []byte("\xEF\xBB\xBF\n" + bare), FormatCMS},
		{"enveloped data", enveloped, FormatUnknown},
		{"random", random, FormatUnknown},
		{"text", []byte("Gentile operatore, allego il certificato.\n"), FormatUnknown},
		{"empty", nil, FormatUnknown},
		{"tiny", []byte{0x30}, FormatUnknown},
		{"pdf after 512 bytes", append(bytes.Repeat([]byte{' '}, 600), f.doc...), FormatUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Sniff(c.in))
		})
	}
}

func opensslEncrypt(t testing.TB, content []byte, recipient *testpki.Cert) []byte {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"doc.pdf": content, "rcpt.pem": testpki.CertPEM(recipient.Cert)})
	run(t, dir, "openssl", "cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", "-in", "doc.pdf", "-out", "enc.p7m", "rcpt.pem")
	out, err := os.ReadFile(filepath.Join(dir, "enc.p7m"))
	require.NoError(t, err)
	return out
}

func TestCAdESOpenSSL(t *testing.T) {
	f := getFixture(t)
	p7m := opensslSign(t, f.doc, f.signer)
	res, err := Verify(p7m, f.ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, CAdES, res.Format)
	assert.Equal(t, "MARIO ROSSI", res.SignerName)
	assert.Equal(t, "RSSMRA80A01H501U", res.SignerFiscalCode)
	assert.WithinDuration(t, time.Now(), res.SigningTime, 5*time.Minute)
	assert.Equal(t, f.doc, res.Content)
	assert.Equal(t, ContentTypePDF, res.ContentType)
	require.Len(t, res.Signers, 1)
	assert.Equal(t, f.signer.Cert.Raw, res.Signers[0].Certificate.Raw)
	assert.Contains(t, pdftotext(t, res.Content), "Esenzione E01 - Mario Rossi")
}

func TestCAdESOpenSSLVariants(t *testing.T) {
	f := getFixture(t)
	der := opensslSign(t, f.doc, f.signer)
	pemP7m := opensslSign(t, f.doc, f.signer, "-outform", "PEM")
	require.True(t, bytes.HasPrefix(pemP7m, []byte("-----BEGIN CMS-----")), "%.40s", pemP7m)
	b64 := base64.StdEncoding.EncodeToString(der)
	var wrapped strings.Builder
	wrapped.WriteString("-----BEGIN PKCS7-----\r\n")
	for i := 0; i < len(b64); i += 64 {
		wrapped.WriteString(b64[i:min(len(b64), i+64)] + "\r\n")
	}
	wrapped.WriteString("-----END PKCS7-----\r\n")

	cases := map[string][]byte{
		"pem (openssl -outform PEM)":          pemP7m,
		"pkcs7 armour, CRLF":                  []byte(wrapped.String()),
		"bare base64":                         []byte(b64),
		"bare base64 without padding":         []byte(strings.TrimRight(b64, "=")),
		"ber streaming (openssl -stream)":     opensslSign(t, f.doc, f.signer, "-stream"),
		"cades-bes (openssl -cades)":          opensslSign(t, f.doc, f.signer, "-cades"),
		"rsa signer":                          opensslSign(t, f.doc, f.rsa),
		"der with trailing newline":           append(bytes.Clone(der), '\n'),
		"ber streaming, pem (-stream -cades)": opensslSign(t, f.doc, f.signer, "-stream", "-cades", "-outform", "PEM"),
	}
	for name, p7m := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Verify(p7m, f.ts, Options{FileName: "certificato.pdf.p7m"})
			require.NoError(t, err)
			assert.Equal(t, f.doc, res.Content)
			assert.Equal(t, ContentTypePDF, res.ContentType)
			assert.NotEmpty(t, res.SignerFiscalCode)
		})
	}
	res, err := Verify(cases["rsa signer"], f.ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, "GIULIA BIANCHI", res.SignerName)
	assert.Equal(t, "BNCGLI85M41L219K", res.SignerFiscalCode)
}

func TestCAdESGoSigner(t *testing.T) {
	f := getFixture(t)
	p7m, err := testpki.SignCAdES([]byte("testo qualsiasi"), f.signer)
	require.NoError(t, err)
	res, err := Verify(p7m, f.ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, []byte("testo qualsiasi"), res.Content)
	assert.Equal(t, ContentTypeOctet, res.ContentType)
	assert.Equal(t, "RSSMRA80A01H501U", res.SignerFiscalCode)

	// openssl accepts what SignCAdES makes.
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"in.p7m": p7m, "ca.pem": testpki.CertPEM(f.ca.Cert)})
	out := run(t, dir, "openssl", "cms", "-verify", "-inform", "DER", "-in", "in.p7m", "-CAfile", "ca.pem", "-purpose", "any")
	assert.Equal(t, "testo qualsiasi", string(out))
}

func TestCAdESNested(t *testing.T) {
	f := getFixture(t)
	inner := opensslSign(t, f.doc, f.signer)
	outer, err := testpki.SignCAdES(inner, f.rsa) // a .pdf.p7m.p7m
	require.NoError(t, err)
	res, err := Verify(outer, f.ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, f.doc, res.Content)
	assert.Equal(t, ContentTypePDF, res.ContentType)
	require.Len(t, res.Signers, 2)
	assert.Equal(t, "GIULIA BIANCHI", res.SignerName)
	assert.Equal(t, "MARIO ROSSI", res.Signers[1].Name)

	// The inner envelope is checked too.
	tamperedInner := flipByteAt(inner, bytes.Index(inner, []byte("Esenzione")))
	outer, err = testpki.SignCAdES(tamperedInner, f.rsa)
	require.NoError(t, err)
	_, err = Verify(outer, f.ts, Options{})
	requireCode(t, err, CodeTampered)
}

func TestPAdES(t *testing.T) {
	f := getFixture(t)
	signed, err := signPDF(f.doc, f.signer, padesLayout{})
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(signed, f.doc), "incremental update keeps the original bytes")

	res, err := Verify(signed, f.ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, PAdES, res.Format)
	assert.Equal(t, "MARIO ROSSI", res.SignerName)
	assert.Equal(t, "RSSMRA80A01H501U", res.SignerFiscalCode)
	assert.WithinDuration(t, time.Now(), res.SigningTime, 5*time.Minute)
	assert.Nil(t, res.Content)
	assert.Equal(t, ContentTypePDF, res.ContentType)

	text := pdftotext(t, signed)
	assert.Contains(t, text, "Esenzione E01 - Mario Rossi")
	assert.Contains(t, text, "Certificato medico firmato")

	pdfsigCheck(t, signed, 1)
}

// pdfsigCheck has poppler's pdfsig validate the signatures (their
// integrity; the test CA is unknown to it). Skipped without pdfsig.
func pdfsigCheck(t *testing.T, pdf []byte, n int) {
	t.Helper()
	if _, err := exec.LookPath("pdfsig"); err != nil {
		t.Log("pdfsig not installed: signature not cross-checked")
		return
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"in.pdf": pdf})
	cmd := exec.Command("pdfsig", "in.pdf")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput() // exit status 2 when the certificate is not trusted
	t.Logf("pdfsig:\n%s", out)
	assert.Equal(t, n, strings.Count(string(out), "Signature Validation: Signature is Valid."), "%s", out)
}

func TestPAdESVariants(t *testing.T) {
	f := getFixture(t)

	t.Run("rsa", func(t *testing.T) {
		signed, err := signPDF(f.doc, f.rsa, padesLayout{})
		require.NoError(t, err)
		res, err := Verify(signed, f.ts, Options{})
		require.NoError(t, err)
		assert.Equal(t, "GIULIA BIANCHI", res.SignerName)
		pdfsigCheck(t, signed, 1)
	})

	t.Run("fpdf document", func(t *testing.T) {
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 14)
		pdf.Cell(40, 10, "Richiesta di esenzione per reddito")
		pdf.AddPage()
		pdf.Cell(40, 10, "Seconda pagina")
		var buf bytes.Buffer
		require.NoError(t, pdf.Output(&buf))
		_, err := Verify(buf.Bytes(), f.ts, Options{})
		requireCode(t, err, CodeUnsigned)

		signed, err := signPDF(buf.Bytes(), f.signer, padesLayout{})
		require.NoError(t, err)
		_, err = Verify(signed, f.ts, Options{})
		require.NoError(t, err)
		assert.Contains(t, pdftotext(t, signed), "Richiesta di esenzione per reddito")
		pdfsigCheck(t, signed, 1)
	})

	t.Run("two signatures: the last one is verified", func(t *testing.T) {
		once, err := signPDF(f.doc, f.signer, padesLayout{})
		require.NoError(t, err)
		twice, err := signPDF(once, f.rsa, padesLayout{})
		require.NoError(t, err)
		res, err := Verify(twice, f.ts, Options{})
		require.NoError(t, err)
		assert.Equal(t, "GIULIA BIANCHI", res.SignerName)
		pdfsigCheck(t, twice, 2)

		// The last signature must be a good one, whatever the first.
		bad, err := signPDF(once, f.other, padesLayout{})
		require.NoError(t, err)
		_, err = Verify(bad, f.ts, Options{})
		requireCode(t, err, CodeUntrusted)
	})

	t.Run("contents before byte range, hex reformatted", func(t *testing.T) {
		signed, err := signPDF(f.doc, f.signer, padesLayout{contentsFirst: true})
		require.NoError(t, err)
		// The /Contents string is outside the signed ranges: lay it out as
		// other writers do (upper case, line breaks, an odd number of
		// digits in the zero padding) and the signature stays valid.
		br, ok := parseByteRange(signed[bytes.LastIndex(signed, []byte("/ByteRange"))+len("/ByteRange"):])
		require.True(t, ok)
		require.Less(t, br[2], bytes.LastIndex(signed, []byte("/ByteRange")), "/Contents comes first")
		cms, err := decodeContents(signed[br[1]:br[2]])
		require.NoError(t, err)
		var hole strings.Builder
		hole.WriteString("<")
		for i, c := range strings.ToUpper(hex.EncodeToString(cms)) {
			if i > 0 && i%64 == 0 {
				hole.WriteString("\r\n")
			}
			hole.WriteRune(c)
		}
		hole.WriteString(" \n")
		for hole.Len() < br[2]-br[1]-1 {
			hole.WriteString("0")
		}
		hole.WriteString(">")
		require.Equal(t, br[2]-br[1], hole.Len())
		require.Equal(t, 1, strings.Count(hole.String(), " \n"))
		copy(signed[br[1]:], hole.String())
		res, err := Verify(signed, f.ts, Options{})
		require.NoError(t, err)
		assert.Equal(t, "MARIO ROSSI", res.SignerName)
	})
}

func TestTampered(t *testing.T) {
	f := getFixture(t)
	p7m := opensslSign(t, f.doc, f.signer)
	ber := opensslSign(t, f.doc, f.signer, "-stream")
	pades, err := signPDF(f.doc, f.signer, padesLayout{})
	require.NoError(t, err)

	at := func(data []byte, marker string) int {
		i := bytes.Index(data, []byte(marker))
		require.GreaterOrEqual(t, i, 0, marker)
		return i
	}
	br, ok := parseByteRange(pades[bytes.LastIndex(pades, []byte("/ByteRange"))+len("/ByteRange"):])
	require.True(t, ok)

	cases := map[string][]byte{
		"cades: a byte of the content":        flipByteAt(p7m, at(p7m, "Mario Rossi")),
		"cades ber: a byte of the content":    flipByteAt(ber, at(ber, "Mario Rossi")),
		"pades: a byte of the page text":      flipByteAt(pades, at(pades, "Mario Rossi")),
		"pades: a byte of the sig dictionary": flipByteAt(pades, at(pades, "/Adobe.PPKLite")+3),
		"pades: bytes appended":               append(bytes.Clone(pades), "\n% nota aggiunta\n"...),
		"pades: last byte cut":                pades[:len(pades)-1],
		"pades: incremental update appended":  appendUpdate(t, pades),
		"pades: hole grown into signed bytes": bytes.Replace(bytes.Clone(pades), []byte(byteRangeText(br)),
			[]byte(byteRangeText([4]int{0, br[1] - 10, br[2], br[3]})), 1),
		"pades: first range not at 0": bytes.Replace(bytes.Clone(pades), []byte(byteRangeText(br)),
			[]byte(byteRangeText([4]int{1, br[1] - 1, br[2], br[3]})), 1),
		"pades: ranges beyond the end": bytes.Replace(bytes.Clone(pades), []byte(byteRangeText(br)),
			[]byte(byteRangeText([4]int{0, br[1], br[2], br[3] + 100})), 1),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(data, f.ts, Options{})
			requireCode(t, err, CodeTampered)
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "Il documento è stato modificato dopo la firma", se.Message)
		})
	}
}

func byteRangeText(br [4]int) string {
	return fmt.Sprintf("[%d %d %d %d]", br[0], br[1], br[2], br[3])
}

// appendUpdate appends an incremental update that changes the page text,
// as an attacker would after the signature.
func appendUpdate(t *testing.T, pdf []byte) []byte {
	t.Helper()
	trailer, prev, err := pdfTrailer(pdf)
	require.NoError(t, err)
	size, _ := dictGet(trailer, "/Size")
	var out bytes.Buffer
	out.Write(pdf)
	off := out.Len()
	stream := "BT /F1 12 Tf 72 770 Td (Esenzione E99 - Altro) Tj ET"
	fmt.Fprintf(&out, "5 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(stream), stream)
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n5 1\n%010d 00000 n\r\ntrailer\n<< /Size %s /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off, size, prev, xref)
	return out.Bytes()
}

func TestUntrusted(t *testing.T) {
	f := getFixture(t)
	p7m := opensslSign(t, f.doc, f.other)
	_, err := Verify(p7m, f.ts, Options{})
	requireCode(t, err, CodeUntrusted)

	pades, err := signPDF(f.doc, f.other, padesLayout{})
	require.NoError(t, err)
	_, err = Verify(pades, f.ts, Options{})
	requireCode(t, err, CodeUntrusted)

	// No trust store at all.
	_, err = Verify(opensslSign(t, f.doc, f.signer), nil, Options{})
	requireCode(t, err, CodeUntrusted)
	_, err = Verify(opensslSign(t, f.doc, f.signer), NewTrustStore(), Options{})
	requireCode(t, err, CodeUntrusted)
	assert.Equal(t, "Il certificato del firmatario non è emesso da un'autorità di certificazione riconosciuta", err.Error())

	// An unknown CA is reported as such whatever the dates and key usage.
	otherCA, err := testpki.NewCA("Another untrusted CA")
	require.NoError(t, err)
	s, err := otherCA.NewSigner(testpki.SignerOptions{NoNonRepudiation: true,
		NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(-2, 0, 0)})
	require.NoError(t, err)
	_, err = Verify(opensslSign(t, f.doc, s), f.ts, Options{})
	requireCode(t, err, CodeUntrusted)
}

// TestOpenSSLCA builds the whole chain with openssl (CA, CSR, certificate
// with a TINIT- serialNumber and nonRepudiation) and loads the CA through
// LoadTrustStore.
func TestOpenSSLCA(t *testing.T) {
	f := getFixture(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"doc.pdf": f.doc,
		"ext.cnf": []byte("keyUsage = critical, nonRepudiation\nbasicConstraints = CA:FALSE\n"),
	})
	run(t, dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", "/C=IT/O=Prova S.p.A./CN=Prova Qualified CA",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	run(t, dir, "openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "signer.key", "-out", "signer.csr",
		"-subj", "/C=IT/serialNumber=TINIT-VRDLGU75B12F205X/GN=LUIGI/SN=VERDI/CN=VERDI LUIGI")
	run(t, dir, "openssl", "x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
		"-days", "365", "-extfile", "ext.cnf", "-out", "signer.pem")
	run(t, dir, "openssl", "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
		"-in", "doc.pdf", "-signer", "signer.pem", "-inkey", "signer.key", "-certfile", "ca.pem", "-out", "doc.pdf.p7m")
	p7m, err := os.ReadFile(filepath.Join(dir, "doc.pdf.p7m"))
	require.NoError(t, err)

	_, err = Verify(p7m, f.ts, Options{})
	requireCode(t, err, CodeUntrusted)

	tsDir := filepath.Join(dir, "trust")
	require.NoError(t, os.Mkdir(tsDir, 0o700))
	run(t, dir, "openssl", "x509", "-in", "ca.pem", "-outform", "DER", "-out", filepath.Join(tsDir, "prova.cer"))
	ts, err := LoadTrustStore(tsDir)
	require.NoError(t, err)
	res, err := Verify(p7m, ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, "LUIGI VERDI", res.SignerName, "givenName + surname preferred to CN")
	assert.Equal(t, "VRDLGU75B12F205X", res.SignerFiscalCode)
	assert.Equal(t, f.doc, res.Content)
}

func TestIntermediateCA(t *testing.T) {
	root, err := testpki.NewCA("Root CA")
	require.NoError(t, err)
	sub, err := root.NewSubCA("Qualified Signing CA")
	require.NoError(t, err)
	signer, err := sub.NewSigner(testpki.SignerOptions{})
	require.NoError(t, err)
	require.Len(t, signer.Chain, 2)
	doc := MinimalPDF("documento")

	p7m := opensslSign(t, doc, signer)
	pades, err := signPDF(doc, signer, padesLayout{})
	require.NoError(t, err)
	for name, ts := range map[string]*TrustStore{
		"root only":                 NewTrustStore(root.Cert),
		"intermediate as an anchor": NewTrustStore(sub.Cert),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(p7m, ts, Options{})
			require.NoError(t, err)
			_, err = Verify(pades, ts, Options{})
			require.NoError(t, err)
		})
	}

	// Without the intermediate in the CMS the chain cannot be built.
	bare := &testpki.Cert{Cert: signer.Cert, Key: signer.Key}
	p7m, err = testpki.SignCAdES(doc, bare)
	require.NoError(t, err)
	_, err = Verify(p7m, NewTrustStore(root.Cert), Options{})
	requireCode(t, err, CodeUntrusted)
}

func TestExpired(t *testing.T) {
	f := getFixture(t)
	for name, s := range map[string]*testpki.Cert{"expired": f.expired, "not yet valid": f.future} {
		t.Run(name, func(t *testing.T) {
			p7m := opensslSign(t, f.doc, s)
			_, err := Verify(p7m, f.ts, Options{})
			requireCode(t, err, CodeExpired)

			p7m, err = testpki.SignCAdES(f.doc, s)
			require.NoError(t, err)
			_, err = Verify(p7m, f.ts, Options{})
			requireCode(t, err, CodeExpired)

			pades, err := signPDF(f.doc, s, padesLayout{})
			require.NoError(t, err)
			_, err = Verify(pades, f.ts, Options{})
			requireCode(t, err, CodeExpired)
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "Il certificato del firmatario non era valido al momento della firma", se.Message)
		})
	}
}

// TestSigningTime: what counts is the certificate's validity when the
// document was signed, not when it is checked.
func TestSigningTime(t *testing.T) {
	f := getFixture(t)
	p7m := opensslSign(t, f.doc, f.signer)
	pades, err := signPDF(f.doc, f.signer, padesLayout{})
	require.NoError(t, err)
	for _, data := range [][]byte{p7m, pades} {
		// Checked five years later, after the certificate expired.
		_, err := Verify(data, f.ts, Options{Now: time.Now().AddDate(5, 0, 0)})
		require.NoError(t, err)
	}
}

// TestSigningTimeAbsent: PAdES baseline signatures carry no signingTime
// attribute; the /M entry of the signature dictionary (inside the signed
// bytes) is used instead, else Options.Now.
func TestSigningTimeAbsent(t *testing.T) {
	f := getFixture(t)
	inValidity := time.Now().AddDate(-1, -6, 0) // within f.expired's validity
	noTime := func(s *testpki.Cert) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return buildCMS(t, b, s, cmsSpec{detached: true}), nil }
	}

	t.Run("pades, /M within the validity of an expired certificate", func(t *testing.T) {
		pdf, err := signPDF(f.doc, f.expired, padesLayout{m: inValidity, sign: noTime(f.expired)})
		require.NoError(t, err)
		res, err := Verify(pdf, f.ts, Options{})
		require.NoError(t, err)
		assert.WithinDuration(t, inValidity, res.SigningTime, time.Second)
	})
	t.Run("pades, /M outside the validity", func(t *testing.T) {
		pdf, err := signPDF(f.doc, f.expired, padesLayout{sign: noTime(f.expired)})
		require.NoError(t, err)
		_, err = Verify(pdf, f.ts, Options{})
		requireCode(t, err, CodeExpired)
	})
	t.Run("pades, no /M: Options.Now", func(t *testing.T) {
		pdf, err := signPDF(f.doc, f.expired, padesLayout{noM: true, sign: noTime(f.expired)})
		require.NoError(t, err)
		_, err = Verify(pdf, f.ts, Options{})
		requireCode(t, err, CodeExpired)
		res, err := Verify(pdf, f.ts, Options{Now: inValidity})
		require.NoError(t, err)
		assert.True(t, res.SigningTime.IsZero())
		pdfsigCheck(t, pdf, 1)
	})
	t.Run("cades, no signingTime: Options.Now", func(t *testing.T) {
		p7m := buildCMS(t, f.doc, f.expired, cmsSpec{})
		_, err := Verify(p7m, f.ts, Options{})
		requireCode(t, err, CodeExpired)
		res, err := Verify(p7m, f.ts, Options{Now: inValidity})
		require.NoError(t, err)
		assert.True(t, res.SigningTime.IsZero())
		assert.Equal(t, f.doc, res.Content)
	})
	t.Run("cades, signingTime attribute wins over Options.Now", func(t *testing.T) {
		p7m := buildCMS(t, f.doc, f.expired, cmsSpec{signingTime: &inValidity})
		res, err := Verify(p7m, f.ts, Options{})
		require.NoError(t, err)
		assert.WithinDuration(t, inValidity, res.SigningTime, time.Second)
		// openssl agrees the hand-made CMS is well formed.
		dir := t.TempDir()
		writeFiles(t, dir, map[string][]byte{"in.p7m": p7m})
		run(t, dir, "openssl", "cms", "-verify", "-noverify", "-inform", "DER", "-in", "in.p7m", "-out", "out.pdf")
	})
}

// TestSignedAttributesRequired: without signed attributes the signature
// would be over the bare content; for PAdES, over nothing, so that one
// signature of an empty file could be pasted into any PDF.
func TestSignedAttributesRequired(t *testing.T) {
	f := getFixture(t)
	_, err := Verify(opensslSign(t, f.doc, f.signer, "-noattr"), f.ts, Options{})
	requireCode(t, err, CodeMalformed)

	empty := buildCMS(t, nil, f.signer, cmsSpec{detached: true, noAttrs: true})
	pdf, err := signPDF(f.doc, f.signer, padesLayout{sign: func([]byte) ([]byte, error) { return empty, nil }})
	require.NoError(t, err)
	_, err = Verify(pdf, f.ts, Options{})
	requireCode(t, err, CodeMalformed)
}

func TestWeakAlgorithm(t *testing.T) {
	f := getFixture(t)
	now := time.Now()
	_, err := Verify(buildCMS(t, f.doc, f.rsa, cmsSpec{sha1: true, signingTime: &now}), f.ts, Options{})
	requireCode(t, err, CodeAlgorithm)
	_, err = Verify(opensslSign(t, f.doc, f.rsa, "-md", "sha1"), f.ts, Options{})
	requireCode(t, err, CodeAlgorithm)

	pdf, err := signPDF(f.doc, f.signer, padesLayout{})
	require.NoError(t, err)
	_, err = Verify(bytes.Replace(pdf, []byte("/ETSI.CAdES.detached"), []byte("/adbe.pkcs7.sha1\x20\x20\x20\x20"), 1), f.ts, Options{})
	requireCode(t, err, CodeAlgorithm) // SHA-1 based sub-filter, refused before its CMS is looked at
}

func TestPDFDate(t *testing.T) {
	cases := map[string]time.Time{
		"D:20240315103000+01'00'": time.Date(2024, 3, 15, 9, 30, 0, 0, time.UTC),
		"D:20240315103000Z":       time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC),
		"D:20240315103000-05'30":  time.Date(2024, 3, 15, 16, 0, 0, 0, time.UTC),
		"D:2024":                  time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		"20240315":                time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC),
	}
	for in, want := range cases {
		got, ok := parsePDFDate(in)
		require.True(t, ok, in)
		assert.True(t, want.Equal(got), "%s: %v", in, got)
	}
	for _, in := range []string{"", "D:", "D:20241315", "D:abcd"} {
		_, ok := parsePDFDate(in)
		assert.False(t, ok, in)
	}
}

func TestKeyUsage(t *testing.T) {
	f := getFixture(t)
	p7m := opensslSign(t, f.doc, f.noNR)
	_, err := Verify(p7m, f.ts, Options{})
	requireCode(t, err, CodeKeyUsage)
	pades, err := signPDF(f.doc, f.noNR, padesLayout{})
	require.NoError(t, err)
	_, err = Verify(pades, f.ts, Options{})
	requireCode(t, err, CodeKeyUsage)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "Il certificato del firmatario non è abilitato alla firma qualificata (non ripudio)", se.Message)
}

func TestNotSigned(t *testing.T) {
	f := getFixture(t)
	random := make([]byte, 4096)
	_, _ = rand.Read(random)
	random[0] = 0x42 // not a SEQUENCE
	text := []byte("Questo non è un documento firmato.\n")
	p7m := opensslSign(t, f.doc, f.signer)

	dir := t.TempDir()
	key, err := testpki.KeyPEM(f.signer.Key)
	require.NoError(t, err)
	writeFiles(t, dir, map[string][]byte{"doc.pdf": f.doc, "signer.pem": testpki.CertPEM(f.signer.Cert), "key.pem": key})
	run(t, dir, "openssl", "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
		"-in", "doc.pdf", "-signer", "signer.pem", "-inkey", "key.pem", "-out", "detached.p7s")
	detached, err := os.ReadFile(filepath.Join(dir, "detached.p7s"))
	require.NoError(t, err)

	cases := []struct {
		name string
		data []byte
		opts Options
		code string
		msg  string
	}{
		{"unsigned pdf", f.doc, Options{}, CodeUnsigned, "Il documento non è firmato digitalmente"},
		{"unsigned pdf named .p7m", f.doc, Options{FileName: "doc.pdf.p7m"}, CodeUnsigned, ""},
		{"random bytes", random, Options{}, CodeUnsupported,
			"Formato non ammesso: sono accettati solo PDF firmati (PAdES) e file .p7m (CAdES)"},
		{"random bytes named .p7m", random, Options{FileName: "Certificato.PDF.P7M"}, CodeMalformed,
			"Il file .p7m non contiene una firma CAdES valida"},
		{"text file", text, Options{}, CodeUnsupported, ""},
		{"text file named .p7m", text, Options{FileName: "doc.p7m"}, CodeMalformed, ""},
		{"empty", nil, Options{}, CodeUnsupported, ""},
		{"enveloped data (openssl cms -encrypt)", opensslEncrypt(t, f.doc, f.signer), Options{}, CodeNotSignedData, ""},
		{"truncated p7m", p7m[:len(p7m)/2], Options{}, CodeMalformed, "Il file .p7m non contiene una firma CAdES valida"},
		{"p7m header only", p7m[:40], Options{}, CodeMalformed, ""},
		{"detached p7s", detached, Options{}, CodeDetached, ""},
		{"bad base64", []byte("-----BEGIN PKCS7-----\nMIAGCSqGSIb3DQEHAqCAMIACAQEx!!!\n-----END PKCS7-----\n"), Options{}, CodeMalformed, ""},
		{"pdf with a broken byte range", bytes.Replace(f.doc, []byte("/Type /Catalog"), []byte("/ByteRange [0 ** 1 2]"), 1), Options{}, CodeMalformed, ""},
		{"pdf with an unfilled signature", unfilledSignature(t, f), Options{}, CodeMalformed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.data, f.ts, c.opts)
			requireCode(t, err, c.code)
			if c.msg != "" {
				assert.Equal(t, c.msg, err.Error())
			}
		})
	}
}

// unfilledSignature is a signed PDF whose /Contents was zeroed (as a writer
// leaves it before signing).
func unfilledSignature(t *testing.T, f *fixture) []byte {
	signed, err := signPDF(f.doc, f.signer, padesLayout{})
	require.NoError(t, err)
	br, ok := parseByteRange(signed[bytes.LastIndex(signed, []byte("/ByteRange"))+len("/ByteRange"):])
	require.True(t, ok)
	for i := br[1] + 1; i < br[2]-1; i++ {
		signed[i] = '0'
	}
	return signed
}

func TestSignerIdentity(t *testing.T) {
	f := getFixture(t)
	cases := []struct {
		opts     testpki.SignerOptions
		name, cf string
	}{
		{testpki.SignerOptions{SerialNumber: "TINIT-rssmra80a01h501u"}, "MARIO ROSSI", "RSSMRA80A01H501U"},
		{testpki.SignerOptions{SerialNumber: "IT:RSSMRA80A01H501U"}, "MARIO ROSSI", "RSSMRA80A01H501U"},
		{testpki.SignerOptions{SerialNumber: "-"}, "MARIO ROSSI", ""},
		{testpki.SignerOptions{CommonName: "-", GivenName: "Anna", Surname: "Neri"}, "Anna Neri", "RSSMRA80A01H501U"},
		{testpki.SignerOptions{CommonName: "NERI ANNA", GivenName: "ANNA", Surname: "NERI"}, "ANNA NERI", "RSSMRA80A01H501U"},
		{testpki.SignerOptions{CommonName: "Dott.ssa Anna Neri", GivenName: "Anna"}, "Dott.ssa Anna Neri", "RSSMRA80A01H501U"},
	}
	for _, c := range cases {
		s, err := f.ca.NewSigner(c.opts)
		require.NoError(t, err)
		p7m, err := testpki.SignCAdES([]byte("x"), s)
		require.NoError(t, err)
		res, err := Verify(p7m, f.ts, Options{})
		require.NoError(t, err)
		assert.Equal(t, c.name, res.SignerName)
		assert.Equal(t, c.cf, res.SignerFiscalCode)
	}
}

func TestLoadTrustStore(t *testing.T) {
	f := getFixture(t)
	other, err := testpki.NewCA("Other CA")
	require.NoError(t, err)
	third, err := testpki.NewCA("Third CA")
	require.NoError(t, err)

	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"bundle.pem":  append(testpki.CertPEM(f.ca.Cert, other.Cert), "\n# comment\n"...),
		"third.CER":   third.Cert.Raw, // DER
		"README.txt":  []byte("not a certificate"),
		"dup.crt":     testpki.CertPEM(f.ca.Cert),
		"ignored.key": []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"),
	})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	ts, err := LoadTrustStore(dir)
	require.NoError(t, err)
	assert.Equal(t, 3, ts.Len())
	assert.Len(t, ts.Certificates(), 3)

	p7m := opensslSign(t, f.doc, f.signer)
	_, err = Verify(p7m, ts, Options{})
	require.NoError(t, err)
	s3, err := third.NewSigner(testpki.SignerOptions{})
	require.NoError(t, err)
	_, err = Verify(opensslSign(t, f.doc, s3), ts, Options{})
	require.NoError(t, err)

	// Errors.
	_, err = LoadTrustStore(filepath.Join(dir, "missing"))
	assert.Error(t, err)
	empty := t.TempDir()
	_, err = LoadTrustStore(empty)
	assert.ErrorContains(t, err, "no certificate")
	bad := t.TempDir()
	writeFiles(t, bad, map[string][]byte{"bad.pem": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")})
	_, err = LoadTrustStore(bad)
	assert.ErrorContains(t, err, "bad.pem")
	keyOnly := t.TempDir()
	key, err := testpki.KeyPEM(f.signer.Key)
	require.NoError(t, err)
	writeFiles(t, keyOnly, map[string][]byte{"key.pem": key})
	_, err = LoadTrustStore(keyOnly)
	assert.ErrorContains(t, err, "no CERTIFICATE")
	garbage := t.TempDir()
	writeFiles(t, garbage, map[string][]byte{"x.der": []byte("garbage")})
	_, err = LoadTrustStore(garbage)
	assert.Error(t, err)
}

func TestMinimalPDF(t *testing.T) {
	pdf := MinimalPDF("Prima riga (con parentesi) e \\ barra\nàèìòù €")
	assert.Equal(t, FormatPDF, Sniff(pdf))
	text := pdftotext(t, pdf)
	assert.Contains(t, text, "Prima riga (con parentesi) e \\ barra")
	assert.Contains(t, text, "àèìòù €")
}

func TestBERNormalization(t *testing.T) {
	// SEQUENCE(indef) { OCTET STRING(indef) { "ab", "c" }, INTEGER 5 }
	ber := []byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c', 0x00, 0x00, 0x02, 0x01, 0x05, 0x00, 0x00, 0xFF}
	der, err := normalizeBER(ber)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x30, 0x0C, 0x24, 0x07, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c', 0x02, 0x01, 0x05}, der)
	n, err := berLength(ber)
	require.NoError(t, err)
	assert.Equal(t, len(ber)-1, n)

	deep := append(bytes.Repeat([]byte{0x30, 0x80}, 1000), bytes.Repeat([]byte{0, 0}, 1000)...)
	_, err = normalizeBER(deep)
	assert.Error(t, err, "nesting is bounded")
	for _, bad := range [][]byte{{0x30}, {0x30, 0x05, 0x01}, {0x04, 0x80, 0x00, 0x00}, {0x30, 0x85, 1, 1, 1, 1, 1}, {0x1F, 0x81, 0x81, 0x81, 0x81, 0x81, 0x00}} {
		_, err := normalizeBER(bad)
		assert.Error(t, err, "% x", bad)
	}
}

// TestCAdESNestingBeyondLimit: trusted envelopes around an untrusted
// signature, deeper than MaxNesting, are refused (issue 12, point 1);
// MaxNesting trusted envelopes are still accepted.
func TestCAdESNestingBeyondLimit(t *testing.T) {
	f := getFixture(t)
	wrap := func(inner []byte, n int) []byte {
		var err error
		for range n {
			inner, err = testpki.SignCAdES(inner, f.signer)
			require.NoError(t, err)
		}
		return inner
	}
	untrusted, err := testpki.SignCAdES(f.doc, f.other)
	require.NoError(t, err)
	for levels := 1; levels <= MaxNesting+1; levels++ {
		_, err = Verify(wrap(untrusted, levels), f.ts, Options{})
		require.Error(t, err, "untrusted signature under %d envelopes", levels)
	}
	_, err = Verify(wrap(untrusted, MaxNesting), f.ts, Options{})
	requireCode(t, err, CodeNesting)

	res, err := Verify(wrap(f.doc, MaxNesting), f.ts, Options{})
	require.NoError(t, err)
	assert.Equal(t, f.doc, res.Content)
	assert.Len(t, res.Signers, MaxNesting)
	_, err = Verify(wrap(f.doc, MaxNesting+1), f.ts, Options{})
	requireCode(t, err, CodeNesting)
}

// TestCAdESTrailingData: bytes after the CMS structure are refused, in
// DER, BER and PEM form (a trailing newline is still accepted).
func TestCAdESTrailingData(t *testing.T) {
	f := getFixture(t)
	der, err := testpki.SignCAdES(f.doc, f.signer)
	require.NoError(t, err)
	ber := opensslSign(t, f.doc, f.signer, "-stream")
	pemP7m := opensslSign(t, f.doc, f.signer, "-outform", "PEM")
	for name, p7m := range map[string][]byte{
		"der + text":           append(bytes.Clone(der), "dati nascosti"...),
		"der + zero byte":      append(bytes.Clone(der), 0),
		"der + second cms":     append(bytes.Clone(der), der...),
		"der + many newlines":  append(bytes.Clone(der), bytes.Repeat([]byte{'\n'}, 100)...),
		"ber + text":           append(bytes.Clone(ber), "dati nascosti"...),
		"pem + text":           append(bytes.Clone(pemP7m), "dati nascosti\n"...),
		"base64 of der + text": []byte(base64.StdEncoding.EncodeToString(append(bytes.Clone(der), "dati nascosti"...))),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(p7m, f.ts, Options{})
			requireCode(t, err, CodeTrailingData)
		})
	}
	for name, p7m := range map[string][]byte{
		"der + CRLF": append(bytes.Clone(der), '\r', '\n'),
		"pem":        pemP7m,
	} {
		_, err := Verify(p7m, f.ts, Options{})
		require.NoError(t, err, name)
	}
}
