package mailsink

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// crlf turns a readable message with "\n" line endings into wire format.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		subject   string
		from      string
		text      string
		messageID string
		parseErr  bool
	}{
		{
			name: "quoted-printable, Q-encoded subject",
			raw: `From: =?UTF-8?q?Azienda_Sanit=C3=A0?= <asl@example.it>
Subject: =?UTF-8?q?Esenzione_in_scadenza:_verificher=C3=A0?=
Message-ID: <qp@example.it>
Date: Mon, 02 Mar 2026 10:00:00 +0100
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Citt=C3=A0 di Forl=C3=AC: una riga spezzata con una soft line brea=
k nel mezzo.
`,
			subject:   "Esenzione in scadenza: verificherà",
			from:      "Azienda Sanità <asl@example.it>",
			text:      "Città di Forlì: una riga spezzata con una soft line break nel mezzo.\n",
			messageID: "qp@example.it",
		},
		{
			name: "base64 single part, B-encoded folded subject",
			raw: `Subject: =?utf-8?B?UHJvbWVtb3JpYTog?=
 =?utf-8?B?bCdlc2VuemlvbmUgc2NhZHLDoA==?=
Message-Id:   <b64@example.it>  
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

w6ggcHJvbnRhIGxhIHJpY2V0dGE/
Cg==
`,
			subject:   "Promemoria: l'esenzione scadrà",
			text:      "è pronta la ricetta?\n",
			messageID: "b64@example.it",
		},
		{
			name: "multipart/alternative with text and html",
			raw: `Subject: Alternativa
Content-Type: multipart/alternative; boundary="XYZ"

Preambolo ignorato.
--XYZ
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<p>Non questa</p>
--XYZ
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Perch=C3=A9 s=C3=AC.
--XYZ--
`,
			subject: "Alternativa",
			text:    "Perché sì.",
		},
		{
			name: "multipart/mixed containing alternative and a text attachment",
			raw: `Subject: Misto
Content-Type: multipart/mixed; boundary=esterno

--esterno
Content-Type: multipart/alternative; boundary=interno

--interno
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

w6ggYW5uaWRhdG8=
--interno
Content-Type: text/html; charset=UTF-8

<p>html</p>
--interno--
--esterno
Content-Type: text/plain; charset=UTF-8
Content-Disposition: attachment; filename="allegato.txt"

allegato
--esterno--
`,
			subject: "Misto",
			text:    "è annidato",
		},
		{
			name: "attachment only: no text",
			raw: `Subject: Solo allegato
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain
Content-Disposition: attachment; filename="a.txt"

allegato
--b--
`,
			subject: "Solo allegato",
			text:    "",
		},
		{
			name: "Latin-1 body and subject",
			raw: "Subject: =?ISO-8859-1?Q?Citt=E0?=\n" +
				"Content-Type: text/plain; charset=ISO-8859-1\n" +
				"Content-Transfer-Encoding: 8bit\n\n" +
				"perch\xe9\n",
			subject: "Città",
			text:    "perché\n",
		},
		{
			name:    "no MIME headers: plain text",
			raw:     "Subject: Semplice\n\nciao\n",
			subject: "Semplice",
			text:    "ciao\n",
		},
		{
			name:    "unknown charset in subject is kept as is",
			raw:     "Subject: =?x-sconosciuto?q?abc?=\n\nciao\n",
			subject: "=?x-sconosciuto?q?abc?=",
			text:    "ciao\n",
		},
		{
			name: "multipart without boundary",
			raw: `Subject: Rotto
Content-Type: multipart/alternative

ciao
`,
			subject:  "Rotto",
			parseErr: true,
		},
		{
			name:     "not a message",
			raw:      "questo non è un messaggio",
			parseErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := crlf(tt.raw)
			m := parseMessage(raw)
			assert.Equal(t, tt.subject, m.Subject)
			if tt.from != "" {
				assert.Equal(t, tt.from, m.From)
			}
			assert.Equal(t, tt.text, m.Text)
			assert.Equal(t, tt.messageID, m.MessageID)
			assert.Equal(t, len(raw), m.Size)
			if tt.parseErr {
				assert.NotEmpty(t, m.ParseError)
			} else {
				assert.Empty(t, m.ParseError)
			}
		})
	}
}

func TestParseDateAndHeaders(t *testing.T) {
	m := parseMessage(crlf(`Date: Mon, 02 Mar 2026 10:00:00 +0100
Subject:
 =?UTF-8?q?Scadr=C3=A0?=
X-Lungo: prima parte
	seconda parte

corpo
`))
	assert.True(t, m.Date.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), "got %v", m.Date)
	assert.Equal(t, []Header{
		{Name: "Date", Value: "Mon, 02 Mar 2026 10:00:00 +0100"},
		{Name: "Subject", Value: "Scadrà"},
		{Name: "X-Lungo", Value: "prima parte seconda parte"},
	}, m.Headers)
	assert.Equal(t, "Scadrà", m.Subject)
	assert.Equal(t, "corpo\n", m.Text)
}
