package mailsink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"esenzioni/domain/exemption"
)

// Handler returns a small web viewer of the stored messages (UI in Italian):
//
//	GET  /                       the messages, newest first
//	GET  /messaggi/{n}           one message: headers and text body
//	GET  /messaggi/{n}/sorgente  the raw message, as text/plain
//	POST /svuota                 discards all messages (Reset)
//	GET  /api/messages           the messages as JSON, newest first
//	GET  /api/messages/{n}       one message as JSON
//	DELETE /api/messages         discards all messages (Reset)
//
// Links are relative, so the handler can be mounted under a prefix with
// http.StripPrefix (e.g. "/posta"), as long as the list is reached with a
// trailing slash ("/posta/"). Cross-origin POST/DELETE requests are refused.
func (s *Sink) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveList)
	mux.HandleFunc("GET /messaggi/{n}", s.serveMessage)
	mux.HandleFunc("GET /messaggi/{n}/sorgente", s.serveRaw)
	mux.HandleFunc("POST /svuota", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		// Relative, so that it also works under a prefix.
		w.Header().Set("Location", "./")
		w.WriteHeader(http.StatusSeeOther)
	})
	mux.HandleFunc("GET /api/messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.snapshot())
	})
	mux.HandleFunc("GET /api/messages/{n}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.messageFromPath(r)
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "messaggio non trovato"})
			return
		}
		writeJSON(w, http.StatusOK, m)
	})
	mux.HandleFunc("DELETE /api/messages", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return http.NewCrossOriginProtection().Handler(mux)
}

func (s *Sink) messageFromPath(r *http.Request) (Message, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return Message{}, false
	}
	return s.lookup(n)
}

func (s *Sink) serveList(w http.ResponseWriter, r *http.Request) {
	renderHTML(w, http.StatusOK, "list", listPage{
		Addr:        s.Addr(),
		MaxMessages: MaxMessages,
		Messages:    s.snapshot(),
	})
}

func (s *Sink) serveMessage(w http.ResponseWriter, r *http.Request) {
	m, ok := s.messageFromPath(r)
	if !ok {
		renderHTML(w, http.StatusNotFound, "notfound", nil)
		return
	}
	renderHTML(w, http.StatusOK, "message", m)
}

func (s *Sink) serveRaw(w http.ResponseWriter, r *http.Request) {
	m, ok := s.messageFromPath(r)
	if !ok {
		http.Error(w, "Messaggio non trovato", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(m.Raw)
}

type headData struct {
	Title   string
	Refresh bool
}

type listPage struct {
	Addr        string
	MaxMessages int
	Messages    []Message
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if ms, ok := v.([]Message); ok && ms == nil {
		v = []Message{}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func renderHTML(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// formatTime shows a time in Italian style, in the local time zone.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(exemption.Rome).Format("02/01/2006 15:04:05")
}

// formatSize shows a size in bytes in Italian style (decimal comma).
func formatSize(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d byte", n)
	case n < 1000*1000:
		return strings.Replace(fmt.Sprintf("%.1f kB", float64(n)/1000), ".", ",", 1)
	default:
		return strings.Replace(fmt.Sprintf("%.1f MB", float64(n)/1e6), ".", ",", 1)
	}
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"time": formatTime,
	"size": formatSize,
	"join": strings.Join,
	"head": func(title string, refresh bool) headData { return headData{title, refresh} },
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
{{if .Refresh}}<meta http-equiv="refresh" content="5">{{end}}
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem;margin:.5rem 0}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
a{color:#0b5cad}
.nota{background:#fff8e1;border:1px solid #f0d48a;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
.errore{background:#fdecea;border:1px solid #f3b4ae;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #e3e6ea}
th{background:#f4f6f8;font-weight:600}
table.campi th{width:12rem;background:none}
td.ora{white-space:nowrap;color:#555}
pre{white-space:pre-wrap;word-wrap:break-word;background:#f7f7f9;border:1px solid #e3e6ea;border-radius:6px;padding:.8rem;font-size:.92rem}
.barra{display:flex;gap:1rem;align-items:center;justify-content:space-between}
button{font:inherit;padding:.3rem .8rem;cursor:pointer}
.vuoto{color:#666;font-style:italic}
code{font-size:.9em}
</style>
</head>
<body>
{{end}}

{{define "foot"}}
</body>
</html>
{{end}}

{{define "list"}}{{template "head" (head "Posta in uscita (sviluppo)" true)}}
<div class="barra">
<h1>Posta in uscita (sviluppo)</h1>
{{if .Messages}}<form method="post" action="svuota"><button type="submit">Svuota</button></form>{{end}}
</div>
<p class="nota">Le email inviate dall'applicazione arrivano al server SMTP di sviluppo su <code>{{.Addr}}</code>
e <strong>non vengono consegnate</strong> ai destinatari: restano solo in memoria
(al massimo gli ultimi {{.MaxMessages}} messaggi) e si perdono al riavvio. La pagina si aggiorna da sola.</p>
{{if .Messages}}
<table>
<thead><tr><th>Ricevuto</th><th>Destinatari</th><th>Oggetto</th></tr></thead>
<tbody>
{{range .Messages}}<tr>
<td class="ora">{{time .ReceivedAt}}</td>
<td>{{join .To ", "}}</td>
<td><a href="messaggi/{{.ID}}">{{with .Subject}}{{.}}{{else}}(senza oggetto){{end}}</a></td>
</tr>
{{end}}</tbody>
</table>
{{else}}
<p class="vuoto">Nessun messaggio ricevuto.</p>
{{end}}
{{template "foot"}}{{end}}

{{define "message"}}{{template "head" (head (or .Subject "(senza oggetto)") false)}}
<p><a href="../">← Tutti i messaggi</a></p>
<h1>{{with .Subject}}{{.}}{{else}}(senza oggetto){{end}}</h1>
{{with .ParseError}}<p class="errore">Il messaggio non è stato analizzato del tutto: {{.}}</p>{{end}}
<table class="campi">
<tr><th>Da</th><td>{{.From}}</td></tr>
<tr><th>Mittente (busta)</th><td>{{.EnvelopeFrom}}</td></tr>
<tr><th>Destinatari (busta)</th><td>{{join .To ", "}}</td></tr>
<tr><th>Oggetto</th><td>{{.Subject}}</td></tr>
<tr><th>Data</th><td>{{time .Date}}</td></tr>
<tr><th>Message-ID</th><td><code>{{.MessageID}}</code></td></tr>
<tr><th>Ricevuto</th><td>{{time .ReceivedAt}}</td></tr>
<tr><th>Dimensione</th><td>{{size .Size}}</td></tr>
</table>
<h2>Testo</h2>
{{if .Text}}<pre>{{.Text}}</pre>{{else}}<p class="vuoto">Il messaggio non ha una parte di testo semplice (text/plain).</p>{{end}}
<details>
<summary>Tutte le intestazioni</summary>
<table class="campi">
{{range .Headers}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
</details>
<p><a href="{{.ID}}/sorgente">Sorgente originale</a></p>
{{template "foot"}}{{end}}

{{define "notfound"}}{{template "head" (head "Messaggio non trovato" false)}}
<p><a href="../">← Tutti i messaggi</a></p>
<h1>Messaggio non trovato</h1>
<p>Il messaggio non esiste o è stato eliminato (si tengono solo gli ultimi messaggi, e Svuota li elimina tutti).</p>
{{template "foot"}}{{end}}
`))
