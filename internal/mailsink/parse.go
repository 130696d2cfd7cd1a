package mailsink

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// maxMIMEDepth bounds the nesting of multipart bodies that is explored.
const maxMIMEDepth = 8

// parseMessage fills in the fields of a Message that come from the raw
// message itself (everything but the envelope, ID and reception time).
func parseMessage(raw []byte) Message {
	m := Message{Raw: raw, Size: len(raw), Headers: orderedHeaders(raw)}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseError = fmt.Sprintf("intestazioni non valide: %v", err)
		return m
	}
	h := msg.Header
	m.From = decodeHeader(h.Get("From"))
	m.Subject = decodeHeader(h.Get("Subject"))
	m.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
	text, _, err := textBody(textproto.MIMEHeader(h), msg.Body, 0)
	if err != nil {
		m.ParseError = fmt.Sprintf("corpo non leggibile: %v", err)
	}
	m.Text = text
	return m
}

// decodeHeader decodes RFC 2047 encoded words; on failure (e.g. an unknown
// charset) the value is returned as is.
func decodeHeader(v string) string {
	var dec mime.WordDecoder
	s, err := dec.DecodeHeader(v)
	if err != nil {
		return v
	}
	return s
}

// orderedHeaders returns the header fields of raw in their original order,
// unfolded and decoded. Lines that are not header fields are skipped.
func orderedHeaders(raw []byte) []Header {
	var out []Header
	rest := raw
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // end of the header block
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) > 0 {
				out[len(out)-1].Value += " " + strings.TrimSpace(string(line))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		out = append(out, Header{Name: strings.TrimSpace(string(name)), Value: strings.TrimSpace(string(value))})
	}
	for i := range out {
		out[i].Value = strings.TrimSpace(toValidUTF8(decodeHeader(out[i].Value)))
	}
	return out
}

// textBody returns the decoded text of the first text/plain part found in
// a body with the given header; found is false when there is none.
func textBody(h textproto.MIMEHeader, body io.Reader, depth int) (text string, found bool, err error) {
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		// RFC 2045: a missing or invalid Content-Type means text/plain.
		mediaType, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return "", false, errors.New("multipart senza boundary")
		}
		if depth >= maxMIMEDepth {
			return "", false, errors.New("troppi livelli multipart annidati")
		}
		mr := multipart.NewReader(body, boundary)
		for {
			// NextRawPart keeps Content-Transfer-Encoding for decodePart.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return "", false, nil
			}
			if err != nil {
				return "", false, err
			}
			text, found, err := textBody(p.Header, p, depth+1)
			if found || err != nil {
				return text, found, err
			}
		}
	}
	if mediaType != "text/plain" || isAttachment(h) {
		return "", false, nil
	}
	b, err := io.ReadAll(decodeTransfer(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return "", false, err
	}
	text = toUTF8(b, params["charset"])
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return text, true, nil
}

func isAttachment(h textproto.MIMEHeader) bool {
	d, _, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	return err == nil && d == "attachment"
}

func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		// The decoder skips the line breaks.
		return base64.NewDecoder(base64.StdEncoding, r)
	default: // 7bit, 8bit, binary
		return r
	}
}

// toUTF8 converts text in the given charset to UTF-8. Besides UTF-8 and
// ASCII only Latin-1 is converted; other charsets are shown as if UTF-8,
// with invalid bytes replaced.
func toUTF8(b []byte, charset string) string {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "iso-8859-1", "iso8859-1", "latin1", "l1", "windows-1252", "cp1252":
		var sb strings.Builder
		sb.Grow(len(b) * 2)
		for _, c := range b {
			sb.WriteRune(rune(c))
		}
		return sb.String()
	default:
		return toValidUTF8(string(b))
	}
}

func toValidUTF8(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}
