// Package signature verifies the digital signatures of the documents the
// back office receives: "Tutta la documentazione deve essere firmata
// digitalmente".
//
// Two kinds of signed documents are accepted, told apart by their content
// (never by the file name):
//
//   - CAdES: a .p7m file, a CMS/PKCS#7 SignedData with the document attached
//     (DER or BER, or the same base64-encoded, with or without PEM armour).
//     Nested envelopes (.pdf.p7m.p7m) are unwrapped and every level verified,
//     up to MaxNesting envelopes (a deeper one is refused); bytes after the
//     CMS structure (beyond a trailing newline) are refused.
//   - PAdES: a PDF whose last signature dictionary (/ByteRange, /Contents)
//     holds a detached CMS over the whole file except the /Contents string.
//
// For both, every signer must be verified: the message digest signed
// attribute matches the content, the signature over the signed attributes is
// correct, the certificate chains up to a TrustStore (intermediates may travel
// inside the CMS), the certificate was valid at signing time (the signingTime
// signed attribute, the /M entry for PAdES, else Options.Now) and its key
// usage includes non-repudiation, as Italian qualified signatures require.
//
// Revocation (CRL/OCSP) and trusted timestamps are not checked.
//
// Failures are *Error values with a stable Code and an Italian Message for
// the user.
package signature

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// Format is the kind of a file as told by its first bytes.
type Format int

const (
	// FormatUnknown is neither a PDF nor a PKCS#7 SignedData.
	FormatUnknown Format = iota
	// FormatPDF starts with "%PDF-" (after an optional UTF-8 BOM).
	FormatPDF
	// FormatCMS is a CMS/PKCS#7 ContentInfo of type signedData, in DER/BER
	// or base64 (with or without "-----BEGIN PKCS7-----" armour).
	FormatCMS
)

func (f Format) String() string {
	switch f {
	case FormatPDF:
		return "pdf"
	case FormatCMS:
		return "cms"
	}
	return "unknown"
}

// SignatureFormat is the kind of signature Verify found.
type SignatureFormat string

const (
	// CAdES is an enveloping CMS signature (.p7m).
	CAdES SignatureFormat = "CADES"
	// PAdES is a signature embedded in a PDF.
	PAdES SignatureFormat = "PADES"
)

// Content types reported in Result.ContentType.
const (
	ContentTypePDF   = "application/pdf"
	ContentTypeOctet = "application/octet-stream"
)

// Options tune Verify.
type Options struct {
	// Now is the verification time, used as signing time when the signature
	// carries none. Zero means time.Now().
	Now time.Time
	// FileName is optional and only words errors: a file named *.p7m whose
	// content is not PKCS#7 gets signature.malformed ("Il file .p7m non
	// contiene una firma CAdES valida") instead of signature.unsupported.
	// It never decides the format.
	FileName string
}

// Signer describes one verified signer.
type Signer struct {
	Name        string    // CN, or givenName + surname when both are present
	FiscalCode  string    // subject serialNumber, "TINIT-"/"IT:" prefix stripped
	SigningTime time.Time // zero if the signature states none
	Certificate *x509.Certificate
}

// Result is a verified signature.
type Result struct {
	Format           SignatureFormat
	SignerName       string    // Signers[0].Name
	SignerFiscalCode string    // Signers[0].FiscalCode
	SigningTime      time.Time // Signers[0].SigningTime, zero if absent
	// Content is the signed document extracted from a CAdES envelope (the
	// innermost one when envelopes are nested); nil for PAdES, where the
	// document is the input itself.
	Content []byte
	// ContentType is the sniffed type of the signed document:
	// ContentTypePDF or ContentTypeOctet. For PAdES it is ContentTypePDF.
	ContentType string
	// Signers lists every verified signer: parallel signers of one envelope
	// in order, then those of nested envelopes (outermost first).
	Signers []Signer
}

// Stable error codes.
const (
	CodeUnsigned      = "signature.unsigned"
	CodeNotSignedData = "signature.not_signed_data"
	CodeMalformed     = "signature.malformed"
	CodeDetached      = "signature.detached"
	CodeTampered      = "signature.tampered"
	CodeUntrusted     = "signature.untrusted"
	CodeExpired       = "signature.expired"
	CodeKeyUsage      = "signature.key_usage"
	CodeAlgorithm     = "signature.algorithm"
	CodeUnsupported   = "signature.unsupported"
	CodeNesting       = "signature.nesting"
	CodeTrailingData  = "signature.trailing_data"
)

// Error is a rejected document: Code is one of the Code* constants, Message
// explains it to the user in Italian.
type Error struct {
	Code    string
	Message string
}

// Error returns the Italian message.
func (e *Error) Error() string { return e.Message }

var (
	errUnsigned      = &Error{CodeUnsigned, "Il documento non è firmato digitalmente"}
	errNotSignedData = &Error{CodeNotSignedData, "Il file .p7m non contiene una firma CAdES valida: la busta PKCS#7 non contiene dati firmati"}
	errMalformedCMS  = &Error{CodeMalformed, "Il file .p7m non contiene una firma CAdES valida"}
	errMalformedPDF  = &Error{CodeMalformed, "La firma digitale del PDF è danneggiata o non leggibile"}
	errDetached      = &Error{CodeDetached, "Il file .p7m non contiene il documento firmato (firma separata dal documento)"}
	errTampered      = &Error{CodeTampered, "Il documento è stato modificato dopo la firma"}
	errUntrusted     = &Error{CodeUntrusted, "Il certificato del firmatario non è emesso da un'autorità di certificazione riconosciuta"}
	errExpired       = &Error{CodeExpired, "Il certificato del firmatario non era valido al momento della firma"}
	errKeyUsage      = &Error{CodeKeyUsage, "Il certificato del firmatario non è abilitato alla firma qualificata (non ripudio)"}
	errAlgorithm     = &Error{CodeAlgorithm, "La firma utilizza un algoritmo crittografico non ammesso"}
	errNesting       = &Error{CodeNesting, fmt.Sprintf("Il file .p7m contiene troppe buste di firma annidate (al massimo %d)", MaxNesting)}
	errTrailingData  = &Error{CodeTrailingData, "Il file .p7m contiene dati aggiunti dopo la firma"}
	errUnsupported   = &Error{CodeUnsupported, "Formato non ammesso: sono accettati solo PDF firmati (PAdES) e file .p7m (CAdES)"}
)

// fail returns a copy of a template error, so that callers may not alter
// the shared values.
func fail(e *Error) error { c := *e; return &c }

// SniffLen is how many leading bytes Sniff looks at.
const SniffLen = 512

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Sniff tells the format of a file from its first bytes (at most SniffLen
// are used, so a caller may pass the head of a stream).
func Sniff(head []byte) Format {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if bytes.HasPrefix(bytes.TrimPrefix(head, utf8BOM), []byte("%PDF-")) {
		return FormatPDF
	}
	if t, ok := pkcs7Type(head); ok && t == pkcs7SignedData {
		return FormatCMS
	}
	return FormatUnknown
}

// Last arc of the PKCS#7 content type OIDs 1.2.840.113549.1.7.x.
const (
	pkcs7Data       = 1
	pkcs7SignedData = 2
)

// pkcs7OIDPrefix is the DER encoding of OBJECT IDENTIFIER, length 9,
// 1.2.840.113549.1.7 (the last arc follows).
var pkcs7OIDPrefix = []byte{0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07}

// pkcs7Type reports whether head starts a PKCS#7 ContentInfo (DER/BER or
// base64 of it) and returns the last arc of its content type.
func pkcs7Type(head []byte) (byte, bool) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	if len(head) > 0 && head[0] == 0x30 {
		return contentInfoType(head)
	}
	return contentInfoType(base64Prefix(head))
}

// contentInfoType reads "SEQUENCE { OID 1.2.840.113549.1.7.x" from der.
func contentInfoType(der []byte) (byte, bool) {
	if len(der) < 2 || der[0] != 0x30 {
		return 0, false
	}
	i := 2
	switch l := der[1]; {
	case l == 0x80: // BER indefinite length
	case l < 0x80:
	case l <= 0x84:
		i += int(l & 0x7F)
	default:
		return 0, false
	}
	if len(der) < i+len(pkcs7OIDPrefix)+1 || !bytes.Equal(der[i:i+len(pkcs7OIDPrefix)], pkcs7OIDPrefix) {
		return 0, false
	}
	return der[i+len(pkcs7OIDPrefix)], true
}

// base64Prefix decodes the first few bytes of a base64 text, skipping a PEM
// BEGIN line and whitespace. It returns nil if the text does not look like
// base64.
func base64Prefix(head []byte) []byte {
	text := skipSpace(head)
	if bytes.HasPrefix(text, []byte("-----BEGIN ")) {
		nl := bytes.IndexByte(text, '\n')
		if nl < 0 {
			return nil
		}
		text = text[nl+1:]
	}
	var chars [32]byte
	n := 0
	for _, c := range text {
		if n == len(chars) {
			break
		}
		switch {
		case isBase64Char(c):
			chars[n] = c
			n++
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			// '=' padding or the END line: stop.
			goto done
		}
	}
done:
	n -= n % 4
	out := make([]byte, n/4*3)
	m, err := b64.Decode(out, chars[:n])
	if err != nil {
		return nil
	}
	return out[:m]
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

func skipSpace(b []byte) []byte {
	return bytes.TrimLeft(b, " \t\r\n")
}

// sniffContentType is the MIME type reported for an extracted document.
func sniffContentType(content []byte) string {
	if Sniff(content) == FormatPDF {
		return ContentTypePDF
	}
	return ContentTypeOctet
}

// Verify checks the digital signature of a document (see the package
// documentation). The format comes from the content. On failure the error
// is an *Error.
func Verify(data []byte, ts *TrustStore, opts Options) (Result, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	switch Sniff(data) {
	case FormatPDF:
		return verifyPAdES(data, ts, now)
	case FormatCMS:
		return verifyCAdES(data, ts, now, 0)
	}
	if t, ok := pkcs7Type(data); ok && t != pkcs7SignedData {
		return Result{}, fail(errNotSignedData)
	}
	if strings.HasSuffix(strings.ToLower(strings.TrimSpace(opts.FileName)), ".p7m") {
		return Result{}, fail(errMalformedCMS)
	}
	return Result{}, fail(errUnsupported)
}
