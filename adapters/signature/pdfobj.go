package signature

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// A minimal PDF object reader, enough for SignPAdESWith to update the catalog
// and the first page of simple PDFs (classic cross-reference tables or
// streams, objects not inside object streams).

var errPDFSyntax = errors.New("signature: PDF syntax not understood")

// maxPDFDepth bounds nested arrays and dictionaries.
const maxPDFDepth = 32

func skipPDFSpaceAndComments(b []byte, i int) int {
	for i < len(b) {
		switch {
		case isPDFSpace(b[i]):
			i++
		case b[i] == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// pdfObjectEnd returns where the object starting at b[i:] (after
// whitespace) ends. An indirect reference "n g R" is one object.
func pdfObjectEnd(b []byte, i, depth int) (int, error) {
	if depth > maxPDFDepth {
		return 0, errPDFSyntax
	}
	i = skipPDFSpaceAndComments(b, i)
	if i >= len(b) {
		return 0, errPDFSyntax
	}
	switch c := b[i]; {
	case c == '/':
		j := i + 1
		for j < len(b) && isPDFRegular(b[j]) {
			j++
		}
		return j, nil
	case c == '(':
		level := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '(':
				level++
			case ')':
				if level--; level == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errPDFSyntax
	case c == '<' && i+1 < len(b) && b[i+1] == '<':
		j := i + 2
		for {
			j = skipPDFSpaceAndComments(b, j)
			if j+1 < len(b) && b[j] == '>' && b[j+1] == '>' {
				return j + 2, nil
			}
			var err error
			if j, err = pdfObjectEnd(b, j, depth+1); err != nil {
				return 0, err
			}
		}
	case c == '<':
		k := bytes.IndexByte(b[i:], '>')
		if k < 0 {
			return 0, errPDFSyntax
		}
		return i + k + 1, nil
	case c == '[':
		j := i + 1
		for {
			j = skipPDFSpaceAndComments(b, j)
			if j < len(b) && b[j] == ']' {
				return j + 1, nil
			}
			var err error
			if j, err = pdfObjectEnd(b, j, depth+1); err != nil {
				return 0, err
			}
		}
	case isPDFRegular(c):
		j := i
		for j < len(b) && isPDFRegular(b[j]) {
			j++
		}
		if isDigits(b[i:j]) {
			// "n g R"?
			k := skipPDFSpaceAndComments(b, j)
			l := k
			for l < len(b) && b[l] >= '0' && b[l] <= '9' {
				l++
			}
			if l > k && (l == len(b) || !isPDFRegular(b[l])) {
				m := skipPDFSpaceAndComments(b, l)
				if m < len(b) && b[m] == 'R' && (m+1 == len(b) || !isPDFRegular(b[m+1])) {
					return m + 1, nil
				}
			}
		}
		return j, nil
	}
	return 0, errPDFSyntax
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pdfEntry is a key of a dictionary (with its slash) and its raw value.
type pdfEntry struct {
	key string
	val []byte
}

// pdfDict parses the dictionary at the start of b (after whitespace).
func pdfDict(b []byte) ([]pdfEntry, error) {
	i := skipPDFSpaceAndComments(b, 0)
	if i+1 >= len(b) || b[i] != '<' || b[i+1] != '<' {
		return nil, errPDFSyntax
	}
	i += 2
	var out []pdfEntry
	for {
		i = skipPDFSpaceAndComments(b, i)
		if i+1 < len(b) && b[i] == '>' && b[i+1] == '>' {
			return out, nil
		}
		if i >= len(b) || b[i] != '/' {
			return nil, errPDFSyntax
		}
		kEnd, err := pdfObjectEnd(b, i, 1)
		if err != nil {
			return nil, err
		}
		vStart := skipPDFSpaceAndComments(b, kEnd)
		vEnd, err := pdfObjectEnd(b, vStart, 1)
		if err != nil {
			return nil, err
		}
		out = append(out, pdfEntry{string(b[i:kEnd]), b[vStart:vEnd]})
		i = vEnd
	}
}

func dictGet(d []pdfEntry, key string) ([]byte, bool) {
	for _, e := range d {
		if e.key == key {
			return e.val, true
		}
	}
	return nil, false
}

// dictString writes entries back as a dictionary, replacing or adding
// the given keys (in order of set).
func dictString(d []pdfEntry, set ...pdfEntry) []byte {
	var buf bytes.Buffer
	buf.WriteString("<<")
	done := map[string]bool{}
	for _, e := range d {
		v := e.val
		for _, s := range set {
			if s.key == e.key {
				v = s.val
				done[s.key] = true
			}
		}
		fmt.Fprintf(&buf, " %s %s", e.key, v)
	}
	for _, s := range set {
		if !done[s.key] {
			fmt.Fprintf(&buf, " %s %s", s.key, s.val)
		}
	}
	buf.WriteString(" >>")
	return buf.Bytes()
}

type pdfRef struct{ num, gen int }

func (r pdfRef) String() string { return fmt.Sprintf("%d %d R", r.num, r.gen) }

var refRE = regexp.MustCompile(`^(\d+)\s+(\d+)\s+R$`)

func parseRef(v []byte) (pdfRef, bool) {
	m := refRE.FindSubmatch(bytes.TrimSpace(v))
	if m == nil {
		return pdfRef{}, false
	}
	n, err1 := strconv.Atoi(string(m[1]))
	g, err2 := strconv.Atoi(string(m[2]))
	return pdfRef{n, g}, err1 == nil && err2 == nil
}

// findObject returns the dictionary of the last definition of object r in
// pdf (the latest incremental update wins).
func findObject(pdf []byte, r pdfRef) ([]pdfEntry, error) {
	re := regexp.MustCompile(fmt.Sprintf(`(?:^|[^0-9])%d\s+%d\s+obj\b`, r.num, r.gen))
	all := re.FindAllIndex(pdf, -1)
	if len(all) == 0 {
		return nil, fmt.Errorf("signature: object %d %d not found (object streams are not supported)", r.num, r.gen)
	}
	d, err := pdfDict(pdf[all[len(all)-1][1]:])
	if err != nil {
		return nil, fmt.Errorf("signature: object %d %d: %w", r.num, r.gen, err)
	}
	return d, nil
}

// pdfTrailer returns the trailer dictionary of the last cross-reference
// section and the offset of that section.
func pdfTrailer(pdf []byte) ([]pdfEntry, int, error) {
	sx := bytes.LastIndex(pdf, []byte("startxref"))
	if sx < 0 {
		return nil, 0, errors.New("signature: PDF without startxref")
	}
	i := skipPDFSpaceAndComments(pdf, sx+len("startxref"))
	j := i
	for j < len(pdf) && pdf[j] >= '0' && pdf[j] <= '9' {
		j++
	}
	off, err := strconv.Atoi(string(pdf[i:j]))
	if err != nil || off >= len(pdf) {
		return nil, 0, errors.New("signature: PDF with a bad startxref")
	}
	if bytes.HasPrefix(pdf[off:], []byte("xref")) {
		t := bytes.Index(pdf[off:], []byte("trailer"))
		if t < 0 {
			return nil, 0, errors.New("signature: PDF without trailer")
		}
		d, err := pdfDict(pdf[off+t+len("trailer"):])
		return d, off, err
	}
	// A cross-reference stream: its dictionary is the trailer.
	k := bytes.Index(pdf[off:min(len(pdf), off+64)], []byte("obj"))
	if k < 0 {
		return nil, 0, errors.New("signature: cross-reference section not found")
	}
	d, err := pdfDict(pdf[off+k+3:])
	return d, off, err
}
