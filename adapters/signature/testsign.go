package signature

// Test support: certificates, CAdES and PAdES signing and a minimal PDF, for
// the tests of this package and of the packages that receive signed
// documents. The keys are generated on the fly and nothing here is meant to
// produce signatures of legal value.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smallstep/pkcs7"
)

// TestCA is a certification authority for tests.
type TestCA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Parents are the certificates above Cert, nearest first (empty for a
	// root).
	Parents []*x509.Certificate
}

// NewTestCA creates a self-signed root CA (ECDSA P-256) valid from ten
// years ago to ten years from now.
func NewTestCA(commonName string) (*TestCA, error) {
	return newTestCA(commonName, nil)
}

// NewSubCA creates an intermediate CA issued by ca.
func (ca *TestCA) NewSubCA(commonName string) (*TestCA, error) {
	return newTestCA(commonName, ca)
}

func newTestCA(commonName string, parent *TestCA) (*TestCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"Test"}, Country: []string{"IT"}},
		NotBefore:             now.AddDate(-10, 0, 0),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	issuer, issuerKey := tmpl, crypto.Signer(key)
	var parents []*x509.Certificate
	if parent != nil {
		issuer, issuerKey = parent.Cert, parent.Key
		parents = append([]*x509.Certificate{parent.Cert}, parent.Parents...)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), issuerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &TestCA{Cert: cert, Key: key, Parents: parents}, nil
}

// TrustStore returns a trust store holding the root of ca.
func (ca *TestCA) TrustStore() *TrustStore {
	root := ca.Cert
	if len(ca.Parents) > 0 {
		root = ca.Parents[len(ca.Parents)-1]
	}
	return NewTrustStore(root)
}

// TestSignerOptions describe a signer certificate. The zero value gives
// "MARIO ROSSI", fiscal code "TINIT-RSSMRA80A01H501U", non-repudiation,
// valid from an hour ago for a year, ECDSA P-256.
type TestSignerOptions struct {
	CommonName string // "-" for none
	GivenName  string
	Surname    string
	// SerialNumber is the subject serialNumber, as in the certificate
	// (e.g. "TINIT-RSSMRA80A01H501U"); "-" for none.
	SerialNumber string
	// NoNonRepudiation leaves contentCommitment out of the key usage
	// (digitalSignature only).
	NoNonRepudiation bool
	// NotBefore and NotAfter, if not zero, set the validity window (e.g. in
	// the past for an expired certificate).
	NotBefore, NotAfter time.Time
	// RSA makes an RSA 2048 key instead of ECDSA P-256.
	RSA bool
}

// TestSigner is a signer certificate, its key and the certificates of its
// issuers, which signatures embed.
type TestSigner struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // issuer first, up to the root
}

// NewSigner issues a signer certificate.
func (ca *TestCA) NewSigner(opts TestSignerOptions) (*TestSigner, error) {
	var key crypto.Signer
	var err error
	if opts.RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{Country: []string{"IT"}}
	switch opts.CommonName {
	case "":
		subject.CommonName = "MARIO ROSSI"
	case "-":
	default:
		subject.CommonName = opts.CommonName
	}
	switch opts.SerialNumber {
	case "":
		subject.SerialNumber = "TINIT-RSSMRA80A01H501U"
	case "-":
	default:
		subject.SerialNumber = opts.SerialNumber
	}
	if opts.GivenName != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidGivenName, Value: opts.GivenName})
	}
	if opts.Surname != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidSurname, Value: opts.Surname})
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageContentCommitment,
	}
	if opts.NoNonRepudiation {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if !opts.NotBefore.IsZero() {
		tmpl.NotBefore = opts.NotBefore
	}
	if !opts.NotAfter.IsZero() {
		tmpl.NotAfter = opts.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	chain := append([]*x509.Certificate{ca.Cert}, ca.Parents...)
	return &TestSigner{Cert: cert, Key: key, Chain: chain}, nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

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

var oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}

// ESS signing-certificate-v2 (RFC 5035), hash algorithm SHA-256 (default,
// hence omitted).
type essCertIDv2 struct {
	CertHash     []byte
	IssuerSerial essIssuerSerial
}

type essIssuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// signCMS signs content with s (SHA-256, signed attributes content-type,
// message-digest, signing-time and signing-certificate-v2 as CAdES-BES
// wants), embedding s.Chain; detached leaves the content out.
func signCMS(content []byte, s *TestSigner, detached bool) ([]byte, error) {
	if s == nil || s.Cert == nil || s.Key == nil {
		return nil, errors.New("signature: no signer")
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	h := sha256.Sum256(s.Cert.Raw)
	essCert := signingCertificateV2{Certs: []essCertIDv2{{
		CertHash: h[:],
		IssuerSerial: essIssuerSerial{
			Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: s.Cert.RawIssuer}},
			Serial: s.Cert.SerialNumber,
		},
	}}}
	cfg := pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{{Type: oidSigningCertificateV2, Value: essCert}}}
	if len(s.Chain) > 0 {
		err = sd.AddSignerChain(s.Cert, s.Key, s.Chain, cfg)
	} else {
		err = sd.AddSigner(s.Cert, s.Key, cfg)
	}
	if err != nil {
		return nil, err
	}
	if detached {
		sd.Detach()
	}
	return sd.Finish()
}

// SignCAdES wraps content in an attached CAdES-BES envelope (DER), as a
// .p7m file. The signing time is now.
func SignCAdES(content []byte, s *TestSigner) ([]byte, error) {
	return signCMS(content, s, false)
}

// Placeholder sizes of SignPAdES.
const (
	padesContentsSize  = 8192 // bytes reserved for the CMS (hex-encoded twice as many)
	padesByteRangeSize = 48   // characters reserved for "[0 b c d]"
)

// SignPAdES signs a PDF by an incremental update: a signature field (an
// invisible widget on the first page, when its /Annots can be updated) in
// a new or updated /AcroForm, a signature dictionary (/Filter
// /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached) with its /ByteRange and
// a detached CMS (SHA-256, signed attributes) in /Contents, then a
// cross-reference section and trailer. Signing an already signed PDF adds
// a second signature.
//
// It handles the PDFs MinimalPDF, go-pdf/fpdf and most writers produce,
// but not encrypted files nor catalogs or pages stored in object streams.
func SignPAdES(pdf []byte, s *TestSigner) ([]byte, error) {
	return signPAdES(pdf, s, padesLayout{})
}

// padesLayout varies what signPAdES writes, for tests.
type padesLayout struct {
	contentsFirst bool      // /Contents before /ByteRange, as some writers do
	noM           bool      // no /M entry
	m             time.Time // the /M entry; zero = now
	// sign makes the detached CMS over the signed bytes; nil = signCMS.
	sign func(signed []byte) ([]byte, error)
}

// signPAdES is SignPAdES with a layout.
func signPAdES(pdf []byte, s *TestSigner, layout padesLayout) ([]byte, error) {
	if Sniff(pdf) != FormatPDF {
		return nil, errors.New("signature: not a PDF")
	}
	trailer, prevXref, err := pdfTrailer(pdf)
	if err != nil {
		return nil, err
	}
	if _, enc := dictGet(trailer, "/Encrypt"); enc {
		return nil, errors.New("signature: encrypted PDFs are not supported")
	}
	rootVal, _ := dictGet(trailer, "/Root")
	root, ok := parseRef(rootVal)
	if !ok {
		return nil, errors.New("signature: trailer without /Root")
	}
	sizeVal, _ := dictGet(trailer, "/Size")
	size, err := atoi(sizeVal)
	if err != nil {
		return nil, errors.New("signature: trailer without /Size")
	}
	catalog, err := findObject(pdf, root)
	if err != nil {
		return nil, err
	}
	sigNum, fieldNum := size, size+1
	fieldRef := pdfRef{fieldNum, 0}

	// The AcroForm, direct or not, becomes a direct dictionary of the
	// updated catalog.
	acro := []pdfEntry{}
	if v, ok := dictGet(catalog, "/AcroForm"); ok {
		if r, isRef := parseRef(v); isRef {
			if acro, err = findObject(pdf, r); err != nil {
				return nil, err
			}
		} else if acro, err = pdfDict(v); err != nil {
			return nil, err
		}
	}
	fields := "[" + fieldRef.String() + "]"
	if v, ok := dictGet(acro, "/Fields"); ok {
		t := bytes.TrimSpace(v)
		if len(t) < 2 || t[0] != '[' {
			return nil, errors.New("signature: indirect /AcroForm /Fields are not supported")
		}
		fields = string(t[:len(t)-1]) + " " + fieldRef.String() + "]"
	}
	acroForm := dictString(acro, pdfEntry{"/Fields", []byte(fields)}, pdfEntry{"/SigFlags", []byte("3")})
	newCatalog := dictString(catalog, pdfEntry{"/AcroForm", acroForm})

	// The first page gets the widget in its /Annots when possible.
	var page pdfRef
	var newPage []byte
	if pagesVal, ok := dictGet(catalog, "/Pages"); ok {
		page, newPage = firstPageUpdate(pdf, pagesVal, fieldRef)
	}

	m := layout.m
	if m.IsZero() {
		m = time.Now()
	}
	name := pdfLiteral(s.Cert.Subject.CommonName)
	var out bytes.Buffer
	out.Write(pdf)
	if !bytes.HasSuffix(pdf, []byte("\n")) {
		out.WriteByte('\n')
	}
	offsets := map[pdfRef]int{}

	offsets[pdfRef{sigNum, 0}] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Name %s", sigNum, name)
	if !layout.noM {
		fmt.Fprintf(&out, " /M (D:%s+00'00')", m.UTC().Format("20060102150405"))
	}
	var byteRangePos, holeStart, holeEnd int
	writeByteRange := func() {
		out.WriteString(" /ByteRange ")
		byteRangePos = out.Len()
		out.WriteString(fmt.Sprintf("%-*s", padesByteRangeSize, "[0 0 0 0]"))
	}
	writeContents := func() {
		out.WriteString(" /Contents ")
		holeStart = out.Len()
		out.WriteByte('<')
		out.Write(bytes.Repeat([]byte("0"), 2*padesContentsSize))
		out.WriteByte('>')
		holeEnd = out.Len()
	}
	if layout.contentsFirst {
		writeContents()
		writeByteRange()
	} else {
		writeByteRange()
		writeContents()
	}
	out.WriteString(" >>\nendobj\n")

	offsets[fieldRef] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (Firma%d) /V %d 0 R /F 132 /Rect [0 0 0 0]", fieldNum, sigNum, sigNum)
	if newPage != nil {
		fmt.Fprintf(&out, " /P %s", page)
	}
	out.WriteString(" >>\nendobj\n")

	if newPage != nil {
		offsets[page] = out.Len()
		fmt.Fprintf(&out, "%d %d obj\n%s\nendobj\n", page.num, page.gen, newPage)
	}
	offsets[root] = out.Len()
	fmt.Fprintf(&out, "%d %d obj\n%s\nendobj\n", root.num, root.gen, newCatalog)

	xref := out.Len()
	refs := make([]pdfRef, 0, len(offsets))
	for r := range offsets {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].num < refs[j].num })
	out.WriteString("xref\n")
	for _, r := range refs {
		fmt.Fprintf(&out, "%d 1\n%010d %05d n\r\n", r.num, offsets[r], r.gen)
	}
	newTrailer := []pdfEntry{
		{"/Size", []byte(fmt.Sprint(size + 2))},
		{"/Root", []byte(root.String())},
		{"/Prev", []byte(fmt.Sprint(prevXref))},
	}
	for _, k := range []string{"/Info", "/ID"} {
		if v, ok := dictGet(trailer, k); ok {
			newTrailer = append(newTrailer, pdfEntry{k, v})
		}
	}
	fmt.Fprintf(&out, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", dictString(newTrailer), xref)

	doc := out.Bytes()
	br := fmt.Sprintf("[0 %d %d %d]", holeStart, holeEnd, len(doc)-holeEnd)
	if len(br) > padesByteRangeSize {
		return nil, errors.New("signature: PDF too large for the /ByteRange placeholder")
	}
	copy(doc[byteRangePos:], fmt.Sprintf("%-*s", padesByteRangeSize, br))

	signed := make([]byte, 0, len(doc)-(holeEnd-holeStart))
	signed = append(append(signed, doc[:holeStart]...), doc[holeEnd:]...)
	sign := layout.sign
	if sign == nil {
		sign = func(b []byte) ([]byte, error) { return signCMS(b, s, true) }
	}
	cms, err := sign(signed)
	if err != nil {
		return nil, err
	}
	if len(cms) > padesContentsSize {
		return nil, errors.New("signature: CMS larger than the /Contents placeholder")
	}
	hex.Encode(doc[holeStart+1:], cms)
	return doc, nil
}

// firstPageUpdate finds the first page under the page tree node pagesVal
// and returns it with fieldRef added to its /Annots; newPage is nil if the
// page cannot be updated (indirect /Annots, unexpected structure).
func firstPageUpdate(pdf, pagesVal []byte, fieldRef pdfRef) (page pdfRef, newPage []byte) {
	node, ok := parseRef(pagesVal)
	for depth := 0; ok && depth < maxPDFDepth; depth++ {
		d, err := findObject(pdf, node)
		if err != nil {
			return pdfRef{}, nil
		}
		if t, _ := dictGet(d, "/Type"); string(bytes.TrimSpace(t)) == "/Page" {
			annots := "[" + fieldRef.String() + "]"
			if v, ok := dictGet(d, "/Annots"); ok {
				t := bytes.TrimSpace(v)
				if len(t) < 2 || t[0] != '[' {
					return pdfRef{}, nil
				}
				annots = string(t[:len(t)-1]) + " " + fieldRef.String() + "]"
			}
			return node, dictString(d, pdfEntry{"/Annots", []byte(annots)})
		}
		kids, _ := dictGet(d, "/Kids")
		kids = bytes.TrimSpace(kids)
		if len(kids) < 2 || kids[0] != '[' {
			return pdfRef{}, nil
		}
		end, err := pdfObjectEnd(kids[1:], 0, 1)
		if err != nil {
			return pdfRef{}, nil
		}
		node, ok = parseRef(kids[1 : 1+end])
	}
	return pdfRef{}, nil
}

func atoi(b []byte) (int, error) {
	var n int
	_, err := fmt.Sscan(string(bytes.TrimSpace(b)), &n)
	return n, err
}

// pdfLiteral encodes text as a PDF literal string in WinAnsiEncoding
// (Latin-1 and the euro sign; other characters become '?').
func pdfLiteral(text string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range text {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '€':
			b.WriteByte(0x80)
		case r == '’':
			b.WriteByte(0x92)
		case r >= 0x20 && r < 0x7F || r >= 0xA0 && r <= 0xFF:
			b.WriteByte(byte(r))
		case r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError || r < 0x20:
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	return b.String()
}

// MinimalPDF returns a valid one-page A4 PDF (1.4, classic cross-reference
// table) showing text in Helvetica, one line per "\n"; pdftotext extracts
// it. Characters outside WinAnsiEncoding become '?'.
func MinimalPDF(text string) []byte {
	var content bytes.Buffer
	content.WriteString("BT\n/F1 12 Tf\n14 TL\n72 770 Td\n")
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			content.WriteString("T*\n")
		}
		content.WriteString(pdfLiteral(strings.TrimRight(line, "\r")))
		content.WriteString(" Tj\n")
	}
	content.WriteString("ET\n")

	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.Bytes()),
	}
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return out.Bytes()
}

// RefusedKinds names the kinds of bad files every upload route must
// refuse, as HostileFiles makes them.
var RefusedKinds = []string{"nested", "appended", "tampered", "untrusted", "expired", "garbage", "unsigned"}

// HostileFiles makes, for tests of upload routes, one file of each kind in
// RefusedKinds around doc (a PDF): "nested" is an untrusted signature
// wrapped in MaxNesting envelopes signed by trusted; "appended" a valid
// .p7m with bytes after its CMS; "tampered" a valid PAdES with a byte of
// the signed range changed; "untrusted" signed by a CA outside ca's trust
// store; "expired" signed by a certificate of ca past its validity;
// "garbage" meaningless bytes; "unsigned" doc itself. trusted, issued by
// ca, signs whatever must look legitimate.
func (ca *TestCA) HostileFiles(trusted *TestSigner, doc []byte) (map[string][]byte, error) {
	otherCA, err := NewTestCA("Untrusted CA")
	if err != nil {
		return nil, err
	}
	untrusted, err := otherCA.NewSigner(TestSignerOptions{})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	expired, err := ca.NewSigner(TestSignerOptions{NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(-1, 0, 0)})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{"unsigned": doc}
	nested, err := SignCAdES(doc, untrusted)
	if err != nil {
		return nil, err
	}
	for range MaxNesting {
		if nested, err = SignCAdES(nested, trusted); err != nil {
			return nil, err
		}
	}
	out["nested"] = nested
	good, err := SignCAdES(doc, trusted)
	if err != nil {
		return nil, err
	}
	out["appended"] = append(bytes.Clone(good), []byte("%PDF-1.4 contenuto nascosto aggiunto dopo la firma")...)
	pades, err := SignPAdES(doc, trusted)
	if err != nil {
		return nil, err
	}
	tampered := bytes.Clone(pades)
	tampered[len(doc)/2] ^= 0x01
	out["tampered"] = tampered
	if out["untrusted"], err = SignPAdES(doc, untrusted); err != nil {
		return nil, err
	}
	if out["expired"], err = SignCAdES(doc, expired); err != nil {
		return nil, err
	}
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/13)
	}
	out["garbage"] = garbage
	return out, nil
}
