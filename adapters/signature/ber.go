package signature

import "errors"

// maxBERDepth bounds the nesting of ASN.1 elements. A CMS SignedData with
// certificates nests about 15 deep; the bound keeps hostile input from
// exhausting the stack of the recursive parsers.
const maxBERDepth = 64

var errBER = errors.New("invalid BER")

// berHeader reads the identifier and length octets at data[off:]. It
// returns the offset of the contents, their length (-1 if indefinite) and
// whether the element is constructed.
func berHeader(data []byte, off int) (contents, length int, constructed bool, err error) {
	if off >= len(data) {
		return 0, 0, false, errBER
	}
	constructed = data[off]&0x20 != 0
	i := off + 1
	if data[off]&0x1F == 0x1F { // high tag number form
		for n := 0; ; n++ {
			if i >= len(data) || n == 4 {
				return 0, 0, false, errBER
			}
			c := data[i]
			i++
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(data) {
		return 0, 0, false, errBER
	}
	l := data[i]
	i++
	switch {
	case l < 0x80:
		length = int(l)
	case l == 0x80:
		if !constructed {
			return 0, 0, false, errBER
		}
		length = -1
	default:
		n := int(l & 0x7F)
		if n > 4 || i+n > len(data) {
			return 0, 0, false, errBER
		}
		for _, c := range data[i : i+n] {
			length = length<<8 | int(c)
		}
		i += n
		if length < 0 {
			return 0, 0, false, errBER
		}
	}
	if length > len(data)-i {
		return 0, 0, false, errBER
	}
	return i, length, constructed, nil
}

// berScan validates the element at data[off:] and returns its end offset
// and whether it (or a descendant) uses indefinite lengths.
func berScan(data []byte, off, depth int) (end int, indefinite bool, err error) {
	if depth > maxBERDepth {
		return 0, false, errBER
	}
	c, length, constructed, err := berHeader(data, off)
	if err != nil {
		return 0, false, err
	}
	if length >= 0 {
		end = c + length
		if !constructed {
			return end, false, nil
		}
		for i := c; i < end; {
			var ind bool
			if i, ind, err = berScan(data[:end], i, depth+1); err != nil {
				return 0, false, err
			}
			indefinite = indefinite || ind
		}
		return end, indefinite, nil
	}
	for i := c; ; {
		if i+1 < len(data) && data[i] == 0 && data[i+1] == 0 {
			return i + 2, true, nil
		}
		if i, _, err = berScan(data, i, depth+1); err != nil {
			return 0, false, err
		}
	}
}

// berLength returns the length of the (valid) BER element at the start of
// data.
func berLength(data []byte) (int, error) {
	end, _, err := berScan(data, 0, 0)
	return end, err
}

// normalizeBER returns the first BER element of data with definite lengths
// everywhere (bytes after it are dropped). Definite-length input is
// returned as is, without copying. Constructed strings stay constructed:
// the CMS parser concatenates their chunks.
//
// The CMS parser handles indefinite lengths itself, but it looks for each
// end-of-contents marker with a forward search, which is quadratic on a
// large document split into many chunks (as streaming signers write it).
func normalizeBER(data []byte) ([]byte, error) {
	end, indefinite, err := berScan(data, 0, 0)
	if err != nil {
		return nil, err
	}
	if !indefinite {
		return data[:end], nil
	}
	root, _, err := berTree(data, 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, root.size())
	return root.encode(out), nil
}

// berNode is a parsed element: its identifier octets, and either its
// contents (primitive) or its children.
type berNode struct {
	ident    []byte
	contents []byte
	children []*berNode
	length   int // length of the DER contents
	leaf     bool
}

func berTree(data []byte, off, depth int) (*berNode, int, error) {
	if depth > maxBERDepth {
		return nil, 0, errBER
	}
	c, length, constructed, err := berHeader(data, off)
	if err != nil {
		return nil, 0, err
	}
	idEnd := off + 1
	if data[off]&0x1F == 0x1F {
		for data[idEnd]&0x80 != 0 {
			idEnd++
		}
		idEnd++
	}
	n := &berNode{ident: data[off:idEnd]}
	if !constructed {
		n.leaf, n.contents, n.length = true, data[c:c+length], length
		return n, c + length, nil
	}
	i, limit := c, len(data)
	if length >= 0 {
		limit = c + length
	}
	for {
		if length >= 0 && i >= limit {
			break
		}
		if length < 0 && i+1 < len(data) && data[i] == 0 && data[i+1] == 0 {
			i += 2
			break
		}
		child, next, err := berTree(data[:limit], i, depth+1)
		if err != nil {
			return nil, 0, err
		}
		n.children = append(n.children, child)
		n.length += child.size()
		i = next
	}
	return n, i, nil
}

// gather appends the contents of the primitive elements under n.
func (n *berNode) gather(out []byte) []byte {
	if n.leaf {
		return append(out, n.contents...)
	}
	for _, c := range n.children {
		out = c.gather(out)
	}
	return out
}

// recomputeLength updates n.length after a change of its children.
func (n *berNode) recomputeLength() {
	if n.leaf {
		return
	}
	n.length = 0
	for _, c := range n.children {
		n.length += c.size()
	}
}

// size is the DER-encoded size of the node.
func (n *berNode) size() int {
	return len(n.ident) + lengthSize(n.length) + n.length
}

func lengthSize(l int) int {
	if l < 0x80 {
		return 1
	}
	s := 1
	for ; l > 0; l >>= 8 {
		s++
	}
	return s
}

func (n *berNode) encode(out []byte) []byte {
	out = append(out, n.ident...)
	if n.length < 0x80 {
		out = append(out, byte(n.length))
	} else {
		k := lengthSize(n.length) - 1
		out = append(out, 0x80|byte(k))
		for j := k - 1; j >= 0; j-- {
			out = append(out, byte(n.length>>(8*j)))
		}
	}
	if n.leaf {
		return append(out, n.contents...)
	}
	for _, c := range n.children {
		out = c.encode(out)
	}
	return out
}
