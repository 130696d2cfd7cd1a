package signature

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // SHA-256 for crypto.Hash
	_ "crypto/sha512" // SHA-384 and SHA-512 for crypto.Hash
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
)

var b64 = base64.StdEncoding

// MaxNesting bounds nested CAdES envelopes (.pdf.p7m.p7m...): a document
// may be wrapped in at most this many envelopes, each verified up to the
// trust store; one more envelope inside is refused (CodeNesting), never
// passed through unverified.
const MaxNesting = 4

// maxTrailingSpace is how many whitespace bytes (CR, LF, space, tab) may
// follow the CMS structure, as some tools end a file with a newline. Any
// other byte after it is refused (CodeTrailingData): a signed envelope
// carries nothing beside what was signed.
const maxTrailingSpace = 4

// verifyCAdES verifies an attached CMS signature; depth counts the
// envelopes already opened.
func verifyCAdES(data []byte, ts *TrustStore, now time.Time, depth int) (Result, error) {
	der, err := decodeCMS(data)
	if err != nil {
		if errors.Is(err, errTrailing) {
			return Result{}, fail(errTrailingData)
		}
		return Result{}, fail(errMalformedCMS)
	}
	content, stripped, end, err := splitContent(der)
	if err != nil {
		return Result{}, fail(errMalformedCMS)
	}
	if !onlyTrailingSpace(der[end:]) {
		return Result{}, fail(errTrailingData)
	}
	p7, err := parsePKCS7(stripped)
	if err != nil {
		return Result{}, fail(errMalformedCMS)
	}
	if len(content) == 0 {
		return Result{}, fail(errDetached)
	}
	signers, err := verifySigners(p7, ts, now, time.Time{}, func(h hash.Hash) { h.Write(content) })
	if err != nil {
		return Result{}, err
	}
	res := Result{Format: CAdES, Content: content, Signers: signers}
	if Sniff(content) == FormatCMS {
		if depth+1 >= MaxNesting {
			return Result{}, fail(errNesting)
		}
		inner, err := verifyCAdES(content, ts, now, depth+1)
		if err != nil {
			return Result{}, err
		}
		res.Content = inner.Content
		res.Signers = append(res.Signers, inner.Signers...)
	}
	res.ContentType = sniffContentType(res.Content)
	res.fillFirstSigner()
	return res, nil
}

func (r *Result) fillFirstSigner() {
	if len(r.Signers) > 0 {
		r.SignerName = r.Signers[0].Name
		r.SignerFiscalCode = r.Signers[0].FiscalCode
		r.SigningTime = r.Signers[0].SigningTime
	}
}

// onlyTrailingSpace reports whether the bytes after a CMS structure are
// nothing but a little whitespace.
func onlyTrailingSpace(b []byte) bool {
	return len(b) <= maxTrailingSpace && len(bytes.TrimLeft(b, " \t\r\n")) == 0
}

var errTrailing = errors.New("data after the PEM END line")

// decodeCMS returns the binary CMS (DER or BER) of a .p7m: as is, or
// decoded from base64/PEM.
func decodeCMS(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(data) == 0 || data[0] != 0x30 {
		return decodeBase64(data)
	}
	return data, nil
}

// splitContent takes the encapsulated content out of a CMS SignedData
// (DER or BER). It returns a copy of the content (chunks of a constructed
// OCTET STRING concatenated; nil if there is none), the SignedData without
// it, DER-length encoded, for the pkcs7 parser, and the offset where the
// structure ends in der (the caller refuses bytes after it).
//
// The parser then works on a few kilobytes instead of the whole document:
// it would re-encode (copy) a large document several times, and on BER
// with indefinite lengths it looks for each end-of-contents marker with a
// forward search, which is quadratic on a document split into many chunks
// as streaming signers write it.
func splitContent(der []byte) (content, stripped []byte, end int, err error) {
	root, end, err := berTree(der, 0, 0)
	if err != nil {
		return nil, nil, 0, err
	}
	// ContentInfo { contentType, [0] { SignedData { version,
	// digestAlgorithms, encapContentInfo { eContentType, [0] { eContent } } ... } } }
	if root.leaf || len(root.children) < 2 {
		return nil, nil, 0, errBER
	}
	wrapper := root.children[1]
	if wrapper.leaf || len(wrapper.children) == 0 || wrapper.ident[0] != 0xA0 {
		return nil, nil, 0, errBER
	}
	sd := wrapper.children[0]
	if sd.leaf || len(sd.children) < 3 {
		return nil, nil, 0, errBER
	}
	encap := sd.children[2]
	if encap.leaf || len(encap.children) == 0 {
		return nil, nil, 0, errBER
	}
	if len(encap.children) > 1 {
		ec := encap.children[1]
		if ec.leaf || ec.ident[0] != 0xA0 || len(ec.children) != 1 {
			return nil, nil, 0, errBER
		}
		eContent := ec.children[0]
		if eContent.leaf || len(eContent.ident) == 1 && eContent.ident[0] == 0x24 {
			// OCTET STRING, primitive or in chunks.
			content = eContent.gather(make([]byte, 0, eContent.length))
		} else {
			// PKCS#7 v1.5 allowed any type here: the data is the encoding
			// of its contents.
			content = make([]byte, 0, eContent.length)
			for _, c := range eContent.children {
				content = c.encode(content)
			}
		}
		encap.children = encap.children[:1]
		for _, n := range []*berNode{encap, sd, wrapper, root} {
			n.recomputeLength()
		}
	}
	return content, root.encode(make([]byte, 0, root.size())), end, nil
}

// decodeBase64 decodes base64 text, with or without PEM armour; whitespace
// anywhere is ignored and padding is optional.
func decodeBase64(text []byte) ([]byte, error) {
	text = skipSpace(text)
	if bytes.HasPrefix(text, []byte("-----BEGIN ")) {
		nl := bytes.IndexByte(text, '\n')
		if nl < 0 {
			return nil, errors.New("PEM header without body")
		}
		text = text[nl+1:]
		if end := bytes.Index(text, []byte("-----END ")); end >= 0 {
			// Nothing but the END line and whitespace may follow.
			rest := text[end:]
			if nl := bytes.IndexByte(rest, '\n'); nl >= 0 && len(skipSpace(rest[nl+1:])) > 0 {
				return nil, errTrailing
			}
			text = text[:end]
		}
	}
	clean := make([]byte, 0, len(text))
	for _, c := range text {
		switch {
		case isBase64Char(c):
			clean = append(clean, c)
		case c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			return nil, errors.New("not base64")
		}
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// parsePKCS7 parses a definite-length CMS SignedData; a panic in the parser
// on hostile input is turned into an error.
func parsePKCS7(der []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, errors.New("pkcs7: parser panic")
		}
	}()
	if t, ok := contentInfoType(der); !ok || t != pkcs7SignedData {
		return nil, errors.New("not a SignedData")
	}
	p7, err = pkcs7.Parse(der)
	if err != nil {
		return nil, err
	}
	if len(p7.Signers) == 0 {
		return nil, errors.New("no signer")
	}
	return p7, nil
}

var (
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAWithSHA2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1} // .11 to .14
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWith   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4}       // .1 SHA-1, .3.x SHA-2
	oidECCurves    = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7} // P-256, as some signers write
	oidSECCurves   = asn1.ObjectIdentifier{1, 3, 132, 0}              // P-384 (.34), P-521 (.35)

	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// digestHash maps a CMS digest algorithm to a hash accepted for qualified
// signatures (SHA-256/384/512); SHA-1, MD5 and the rest are refused.
func digestHash(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

// signatureAlgorithm maps the signerInfo's signature algorithm and digest
// to an x509 algorithm; false if unsupported (RSASSA-PSS among others).
func signatureAlgorithm(sigAlg asn1.ObjectIdentifier, h crypto.Hash) (x509.SignatureAlgorithm, bool) {
	isRSA := sigAlg.Equal(oidRSA) ||
		len(sigAlg) == 7 && asn1.ObjectIdentifier(sigAlg[:6]).Equal(oidRSAWithSHA2) && sigAlg[6] >= 11 && sigAlg[6] <= 14
	isEC := sigAlg.Equal(oidECPublicKey) || sigAlg.Equal(oidECCurves) ||
		len(sigAlg) == 7 && asn1.ObjectIdentifier(sigAlg[:5]).Equal(oidECDSAWith) && sigAlg[5] == 3 ||
		len(sigAlg) == 5 && asn1.ObjectIdentifier(sigAlg[:4]).Equal(oidSECCurves)
	switch {
	case isRSA && h == crypto.SHA256:
		return x509.SHA256WithRSA, true
	case isRSA && h == crypto.SHA384:
		return x509.SHA384WithRSA, true
	case isRSA && h == crypto.SHA512:
		return x509.SHA512WithRSA, true
	case isEC && h == crypto.SHA256:
		return x509.ECDSAWithSHA256, true
	case isEC && h == crypto.SHA384:
		return x509.ECDSAWithSHA384, true
	case isEC && h == crypto.SHA512:
		return x509.ECDSAWithSHA512, true
	}
	return x509.UnknownSignatureAlgorithm, false
}

// signedAttr mirrors the CMS Attribute to re-encode the signed attributes.
type signedAttr struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

// findAttr returns the single value of a signed attribute, if present.
func findAttr(attrs []signedAttr, oid asn1.ObjectIdentifier) ([]byte, bool) {
	for _, a := range attrs {
		if a.Type.Equal(oid) {
			return a.Value.Bytes, true
		}
	}
	return nil, false
}

// verifySigners checks every signerInfo of p7. writeContent feeds the signed
// content (attached content, or the PDF byte ranges) to a hash; fallbackTime
// is the signing time to use when a signer has no signingTime attribute
// (PAdES /M), before falling back to now.
func verifySigners(p7 *pkcs7.PKCS7, ts *TrustStore, now, fallbackTime time.Time, writeContent func(hash.Hash)) ([]Signer, error) {
	digests := map[crypto.Hash][]byte{}
	var out []Signer
	for _, si := range p7.Signers {
		// The signature must cover signed attributes carrying the message
		// digest: without them a signature over empty content could be
		// replayed onto any PDF.
		if len(si.AuthenticatedAttributes) == 0 {
			return nil, fail(errMalformedCMS)
		}
		h, ok := digestHash(si.DigestAlgorithm.Algorithm)
		if !ok {
			return nil, fail(errAlgorithm)
		}
		sigAlg, ok := signatureAlgorithm(si.DigestEncryptionAlgorithm.Algorithm, h)
		if !ok {
			return nil, fail(errAlgorithm)
		}
		var ee *x509.Certificate
		for _, c := range p7.Certificates {
			if c.SerialNumber != nil && si.IssuerAndSerialNumber.SerialNumber != nil &&
				c.SerialNumber.Cmp(si.IssuerAndSerialNumber.SerialNumber) == 0 &&
				bytes.Equal(c.RawIssuer, si.IssuerAndSerialNumber.IssuerName.FullBytes) {
				ee = c
				break
			}
		}
		if ee == nil {
			return nil, fail(errMalformedCMS)
		}

		// Integrity: message digest, then the signature over the attributes.
		attrs := make([]signedAttr, len(si.AuthenticatedAttributes))
		for i, a := range si.AuthenticatedAttributes {
			attrs[i] = signedAttr{Type: a.Type, Value: a.Value}
		}
		raw, ok := findAttr(attrs, pkcs7.OIDAttributeMessageDigest)
		if !ok {
			return nil, fail(errMalformedCMS)
		}
		var want []byte
		if _, err := asn1.Unmarshal(raw, &want); err != nil {
			return nil, fail(errMalformedCMS)
		}
		got, ok := digests[h]
		if !ok {
			hh := h.New()
			writeContent(hh)
			got = hh.Sum(nil)
			digests[h] = got
		}
		if subtle.ConstantTimeCompare(want, got) != 1 {
			return nil, fail(errTampered)
		}
		enc, err := asn1.Marshal(struct {
			A []signedAttr `asn1:"set"`
		}{attrs})
		if err != nil {
			return nil, fail(errMalformedCMS)
		}
		var set asn1.RawValue // strip the wrapping SEQUENCE: the SET OF is what is signed
		if _, err := asn1.Unmarshal(enc, &set); err != nil {
			return nil, fail(errMalformedCMS)
		}
		if err := ee.CheckSignature(sigAlg, set.Bytes, si.EncryptedDigest); err != nil {
			var insecure x509.InsecureAlgorithmError
			if errors.As(err, &insecure) || errors.Is(err, x509.ErrUnsupportedAlgorithm) {
				return nil, fail(errAlgorithm)
			}
			return nil, fail(errTampered)
		}

		// Time, trust, key usage.
		var signingTime time.Time
		if raw, ok := findAttr(attrs, pkcs7.OIDAttributeSigningTime); ok {
			if _, err := asn1.Unmarshal(raw, &signingTime); err != nil {
				return nil, fail(errMalformedCMS)
			}
		}
		if signingTime.IsZero() {
			signingTime = fallbackTime
		}
		at := signingTime
		if at.IsZero() {
			at = now
		}
		if err := checkCertificate(ee, p7.Certificates, ts, at); err != nil {
			return nil, err
		}
		name, cf := subjectIdentity(ee.Subject)
		out = append(out, Signer{Name: name, FiscalCode: cf, SigningTime: signingTime, Certificate: ee})
	}
	return out, nil
}

// checkCertificate verifies, in this order, that ee chains to the trust
// store (intermediates from pool), that it and its chain were valid at
// time at, and that it allows non-repudiation.
func checkCertificate(ee *x509.Certificate, pool []*x509.Certificate, ts *TrustStore, at time.Time) error {
	if ts == nil || ts.pool == nil {
		return fail(errUntrusted)
	}
	intermediates := x509.NewCertPool()
	for _, c := range pool {
		if c != ee {
			intermediates.AddCert(c)
		}
	}
	// Trust first, at a time when the signer certificate itself is valid,
	// so that a certificate from an unknown CA is reported as untrusted
	// whatever its dates.
	trustAt := at
	if trustAt.Before(ee.NotBefore) {
		trustAt = ee.NotBefore
	}
	if trustAt.After(ee.NotAfter) {
		trustAt = ee.NotAfter
	}
	opts := x509.VerifyOptions{
		Roots:         ts.pool,
		Intermediates: intermediates,
		CurrentTime:   trustAt,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	if _, err := ee.Verify(opts); err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return fail(errExpired) // an issuing CA was not valid then
		}
		return fail(errUntrusted)
	}
	if at.Before(ee.NotBefore) || at.After(ee.NotAfter) {
		return fail(errExpired)
	}
	if ee.KeyUsage&x509.KeyUsageContentCommitment == 0 {
		return fail(errKeyUsage)
	}
	return nil
}

// subjectIdentity returns the signer's display name and fiscal code.
func subjectIdentity(n pkix.Name) (name, fiscalCode string) {
	var given, surname string
	for _, atv := range n.Names {
		s, _ := atv.Value.(string)
		switch {
		case atv.Type.Equal(oidGivenName):
			given = s
		case atv.Type.Equal(oidSurname):
			surname = s
		}
	}
	given, surname = strings.TrimSpace(given), strings.TrimSpace(surname)
	name = strings.TrimSpace(n.CommonName)
	if given != "" && surname != "" {
		name = given + " " + surname
	} else if name == "" {
		name = strings.TrimSpace(given + " " + surname)
	}
	return name, FiscalCodeFromSerialNumber(n.SerialNumber)
}

// FiscalCodeFromSerialNumber extracts the codice fiscale from a certificate
// subject serialNumber: "TINIT-RSSMRA80A01H501U" (ETSI EN 319 412-1),
// "IT:RSSMRA80A01H501U" (older CNIPA profile) or the plain code. The result
// is upper-case; it is not validated.
func FiscalCodeFromSerialNumber(sn string) string {
	s := strings.ToUpper(strings.TrimSpace(sn))
	for _, p := range []string{"TINIT-", "IT:"} {
		if strings.HasPrefix(s, p) {
			return strings.TrimSpace(s[len(p):])
		}
	}
	return s
}
