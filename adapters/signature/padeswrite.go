package signature

// Development and test support that needs this package's PDF internals:
// PAdES signing (the CMS comes from the caller: internal/testsign signs with
// internal/testpki's certificates) and a minimal PDF. Nothing here is meant
// to produce signatures of legal value.

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Placeholder sizes of SignPAdESWith.
const (
	padesContentsSize  = 8192 // bytes reserved for the CMS (hex-encoded twice as many)
	padesByteRangeSize = 48   // characters reserved for "[0 b c d]"
)

// SignPAdESWith signs a PDF by an incremental update: a signature field (an
// invisible widget on the first page, when its /Annots can be updated) in
// a new or updated /AcroForm, a signature dictionary (/Filter
// /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached, /Name name) with its
// /ByteRange and the detached CMS that cms makes over the signed bytes in
// /Contents, then a cross-reference section and trailer. Signing an
// already signed PDF adds a second signature. For development and tests:
// internal/testsign.SignPAdES is the usual entry.
//
// It handles the PDFs MinimalPDF, go-pdf/fpdf and most writers produce,
// but not encrypted files nor catalogs or pages stored in object streams.
func SignPAdESWith(pdf []byte, name string, cms func(signed []byte) ([]byte, error)) ([]byte, error) {
	return signPAdES(pdf, name, padesLayout{sign: cms})
}

// padesLayout varies what signPAdES writes, for tests.
type padesLayout struct {
	contentsFirst bool      // /Contents before /ByteRange, as some writers do
	noM           bool      // no /M entry
	m             time.Time // the /M entry; zero = now
	// sign makes the detached CMS over the signed bytes.
	sign func(signed []byte) ([]byte, error)
}

// signPAdES is SignPAdESWith with a layout.
func signPAdES(pdf []byte, name string, layout padesLayout) ([]byte, error) {
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
	var out bytes.Buffer
	out.Write(pdf)
	if !bytes.HasSuffix(pdf, []byte("\n")) {
		out.WriteByte('\n')
	}
	offsets := map[pdfRef]int{}

	offsets[pdfRef{sigNum, 0}] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Name %s", sigNum, pdfLiteral(name))
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
	cms, err := layout.sign(signed)
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
