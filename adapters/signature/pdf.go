package signature

import (
	"bytes"
	"hash"
	"strconv"
	"time"
)

// pdfSignature is the signature dictionary Verify checks: the last one of
// the file that is not a document timestamp.
type pdfSignature struct {
	byteRange [4]int // offset and length of the two signed ranges
	subFilter string // e.g. "/ETSI.CAdES.detached", "" if absent
	m         time.Time
}

// sigWindow bounds how far around /ByteRange the signature dictionary is
// looked for (the /Contents string excluded).
const sigWindow = 64 << 10

// verifyPAdES verifies the last signature of a PDF.
func verifyPAdES(data []byte, ts *TrustStore, now time.Time) (Result, error) {
	sig, err := findSignature(data)
	if err != nil {
		return Result{}, err
	}
	if sig == nil {
		return Result{}, fail(errUnsigned)
	}
	if err := checkCoverage(data, sig.byteRange); err != nil {
		return Result{}, err
	}
	switch sig.subFilter {
	case "", "/adbe.pkcs7.detached", "/ETSI.CAdES.detached":
	case "/adbe.pkcs7.sha1", "/adbe.x509.rsa_sha1":
		return Result{}, fail(errAlgorithm)
	default:
		return Result{}, fail(errUnsupported)
	}
	a, b, c, d := sig.byteRange[0], sig.byteRange[1], sig.byteRange[2], sig.byteRange[3]
	cms, err := decodeContents(data[a+b : c])
	if err != nil {
		return Result{}, fail(errMalformedPDF)
	}
	p7, err := parsePKCS7(cms)
	if err != nil {
		return Result{}, fail(errMalformedPDF)
	}
	signers, err := verifySigners(p7, ts, now, sig.m, func(h hash.Hash) {
		h.Write(data[a : a+b])
		h.Write(data[c : c+d])
	})
	if err != nil {
		if e, ok := err.(*Error); ok && e.Code == CodeMalformed {
			return Result{}, fail(errMalformedPDF)
		}
		return Result{}, err
	}
	res := Result{Format: PAdES, ContentType: ContentTypePDF, Signers: signers}
	res.fillFirstSigner()
	return res, nil
}

// findSignature returns the last signature dictionary of the file, nil if
// there is none. It scans backwards once (bytes.LastIndex), so its cost is
// linear in the size of the file.
//
// A signature dictionary is never in a compressed object stream (the byte
// offsets of its /Contents must be those of the file), so a plain search
// for /ByteRange finds every one of them.
func findSignature(data []byte) (*pdfSignature, error) {
	key := []byte("/ByteRange")
	for end := len(data); ; {
		i := bytes.LastIndex(data[:end], key)
		if i < 0 {
			return nil, nil
		}
		end = i
		j := i + len(key)
		if j < len(data) && isPDFRegular(data[j]) {
			continue // a longer name
		}
		br, ok := parseByteRange(data[j:])
		if !ok {
			return nil, fail(errMalformedPDF)
		}
		dict := sigObject(data, i, br)
		if bytes.Contains(dict, []byte("/DocTimeStamp")) || bytes.Contains(dict, []byte("/ETSI.RFC3161")) {
			// A document timestamp (PAdES-LTA) is not a signer's signature.
			continue
		}
		sig := &pdfSignature{byteRange: br, subFilter: string(nameValue(dict, "/SubFilter"))}
		if s, ok := literalValue(dict, "/M"); ok {
			sig.m, _ = parsePDFDate(s)
		}
		return sig, nil
	}
}

// sigObject returns the bytes of the object holding the /ByteRange found at
// data[i:], from its "obj" keyword to its "endobj", skipping the /Contents
// hole br designates when it is adjacent.
func sigObject(data []byte, i int, br [4]int) []byte {
	holeStart, holeEnd := br[0]+br[1], br[2]
	validHole := holeStart >= 0 && holeStart <= holeEnd && holeEnd <= len(data)

	before := i
	if validHole && holeEnd <= i && i-holeEnd < sigWindow {
		before = holeStart
	}
	lo := max(0, before-sigWindow)
	if k := bytes.LastIndex(data[lo:before], []byte("obj")); k >= 0 {
		lo += k
	}
	after := i
	if validHole && holeStart >= i && holeStart-i < sigWindow {
		after = holeEnd
	}
	hi := min(len(data), after+sigWindow)
	if k := bytes.Index(data[after:hi], []byte("endobj")); k >= 0 {
		hi = after + k
	}
	return data[lo:hi]
}

// checkCoverage checks that the two byte ranges cover the whole file but
// the /Contents hex string, delimiters included.
func checkCoverage(data []byte, br [4]int) error {
	a, b, c, d := br[0], br[1], br[2], br[3]
	n := len(data)
	if a != 0 || c > n || d > n-c || c+d != n {
		// Bytes before the first range, or after the second (an update
		// appended after signing), or ranges beyond a truncated file.
		return fail(errTampered)
	}
	if b < 1 || c < b+2 {
		return fail(errMalformedPDF)
	}
	hole := data[b:c]
	if hole[0] != '<' || hole[len(hole)-1] != '>' {
		return fail(errTampered)
	}
	for _, ch := range hole[1 : len(hole)-1] {
		if !isHex(ch) && !isPDFSpace(ch) {
			return fail(errTampered)
		}
	}
	// The hole must be the value of /Contents.
	k := b
	for k > 0 && isPDFSpace(data[k-1]) {
		k--
	}
	if !bytes.HasSuffix(data[:k], []byte("/Contents")) {
		return fail(errTampered)
	}
	return nil
}

// decodeContents decodes the /Contents hex string (delimiters included)
// into the CMS it holds, dropping the zero padding of the placeholder.
func decodeContents(hole []byte) ([]byte, error) {
	hex := hole[1 : len(hole)-1]
	out := make([]byte, 0, len(hex)/2+1)
	var cur byte
	half := false
	for _, ch := range hex {
		if isPDFSpace(ch) {
			continue
		}
		v := unhex(ch)
		if half {
			out = append(out, cur<<4|v)
		} else {
			cur = v
		}
		half = !half
	}
	if half { // odd number of digits: a final 0 is implied
		out = append(out, cur<<4)
	}
	cms, err := normalizeBER(out)
	if err != nil {
		return nil, err
	}
	if l, _ := berLength(out); l < len(out) {
		for _, z := range out[l:] {
			if z != 0 {
				return nil, errBER
			}
		}
	}
	return cms, nil
}

// parseByteRange parses "[a b c d]" (after optional whitespace) at the
// start of b.
func parseByteRange(b []byte) ([4]int, bool) {
	var v [4]int
	i := skipPDFSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return v, false
	}
	i++
	k := 0
	for {
		i = skipPDFSpace(b, i)
		if i >= len(b) {
			return v, false
		}
		if b[i] == ']' {
			return v, k == 4
		}
		if k == 4 {
			return v, false
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start || i-start > 15 || i < len(b) && isPDFRegular(b[i]) {
			return v, false
		}
		x, err := strconv.Atoi(string(b[start:i]))
		if err != nil {
			return v, false
		}
		v[k] = x
		k++
	}
}

// keyAt returns the offset just after the first occurrence of the name key
// in dict that is not the prefix of a longer name, or -1.
func keyAt(dict []byte, key string) int {
	for off := 0; ; {
		k := bytes.Index(dict[off:], []byte(key))
		if k < 0 {
			return -1
		}
		end := off + k + len(key)
		if end >= len(dict) || !isPDFRegular(dict[end]) {
			return end
		}
		off = end
	}
}

// nameValue returns the name (with its slash) following key in dict.
func nameValue(dict []byte, key string) []byte {
	i := keyAt(dict, key)
	if i < 0 {
		return nil
	}
	i = skipPDFSpace(dict, i)
	if i >= len(dict) || dict[i] != '/' {
		return nil
	}
	j := i + 1
	for j < len(dict) && isPDFRegular(dict[j]) {
		j++
	}
	return dict[i:j]
}

// literalValue returns the literal string following key in dict (escapes
// left as they are; nested parentheses are not expected in a date).
func literalValue(dict []byte, key string) (string, bool) {
	i := keyAt(dict, key)
	if i < 0 {
		return "", false
	}
	i = skipPDFSpace(dict, i)
	if i >= len(dict) || dict[i] != '(' {
		return "", false
	}
	end := bytes.IndexByte(dict[i:min(len(dict), i+128)], ')')
	if end < 0 {
		return "", false
	}
	return string(dict[i+1 : i+end]), true
}

// parsePDFDate parses a PDF date "D:YYYYMMDDHHmmSSOHH'mm'" (every part
// after the year optional; no offset means UTC here).
func parsePDFDate(s string) (time.Time, bool) {
	if len(s) >= 2 && s[:2] == "D:" {
		s = s[2:]
	}
	num := func(n int) (int, bool) {
		if len(s) < n {
			return 0, false
		}
		v, err := strconv.Atoi(s[:n])
		if err != nil || v < 0 {
			return 0, false
		}
		s = s[n:]
		return v, true
	}
	year, ok := num(4)
	if !ok {
		return time.Time{}, false
	}
	f := [5]int{1, 1, 0, 0, 0} // month, day, hour, minute, second
	for k := range f {
		if len(s) < 2 || s[0] < '0' || s[0] > '9' {
			break
		}
		if f[k], ok = num(2); !ok {
			return time.Time{}, false
		}
	}
	loc := time.UTC
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		sign := 1
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
		hh, ok := num(2)
		if !ok {
			return time.Time{}, false
		}
		mm := 0
		if len(s) > 0 && s[0] == '\'' {
			s = s[1:]
			mm, _ = num(2)
		}
		loc = time.FixedZone("", sign*(hh*3600+mm*60))
	}
	if f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(f[0]), f[1], f[2], f[3], f[4], 0, loc), true
}

// PDF lexical classes (ISO 32000-1, 7.2.2).

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isPDFRegular(c byte) bool { return !isPDFSpace(c) && !isPDFDelimiter(c) }

func skipPDFSpace(b []byte, i int) int {
	for i < len(b) && isPDFSpace(b[i]) {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
