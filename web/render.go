package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/store"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Base is what every page's template gets.
type Base struct {
	Title    string
	Operator *Operator
	Flash    *Flash
	// Section highlights the current tab.
	Section string
	// Notifications counts unread notifications for the header badge.
	Notifications int
	// MaxUploadMB is the size limit of documents, for the forms.
	MaxUploadMB int64
	// Canonical is the page's own address when it answers a form posted
	// elsewhere (an action refused): app.js puts it in the address bar, so
	// a reload or a bookmark opens the page, not the action.
	Canonical string
}

// Flash is a one-shot banner (success, warning, error).
type Flash struct {
	Kind    string // success, warning, danger, info
	Message string
}

var funcs = template.FuncMap{
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.In(exemption.Rome).Format("02/01/2006")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.In(exemption.Rome).Format("02/01/2006")
		}
		return ""
	},
	// operation names an exemption event for the history table.
	"operation": func(action string) string {
		if label, ok := operationLabels[action]; ok {
			return label
		}
		return action
	},
	// day formats a calendar date (carried as midnight UTC) without
	// converting time zones.
	"day": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.Format("02/01/2006")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.Format("02/01/2006")
		}
		return ""
	},
	"datetime":            func(t time.Time) string { return t.In(exemption.Rome).Format("02/01/2006 15:04:05") },
	"stateLabel":          func(s string) string { return practice.State(s).Label() },
	"exemptionStateLabel": func(s string) string { return exemption.State(s).Label() },
	"submitterLabel":      func(s string) string { return practice.SubmitterKind(s).Label() },
	"upper":               strings.ToUpper,
	"badge": func(state string) string {
		switch state {
		case "VALIDATA", "VALIDA":
			return "success"
		case "RESPINTA", "ANNULLATA":
			return "danger"
		case "SCADUTA":
			return "secondary"
		case "IN_LAVORAZIONE":
			return "warning"
		}
		return "primary"
	},
	"add": func(a, b int) int { return a + b },
	// asset is the versioned (immutable) URL of a static file.
	"asset":           func(p string) string { return assets.URL(p) },
	"categoryLabel":   categoryLabel,
	"differenceLabel": differenceLabel,
	"roleLabel": func(role string) string {
		switch role {
		case store.RoleCertificate:
			return "Certificato del medico"
		case store.RoleCitizen:
			return "Allegato del cittadino"
		}
		return "Documento"
	},
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"deref64": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd arguments")
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

// templates are parsed once: the layout and partials, then each page on a
// clone of them.
type templates struct {
	once  sync.Once
	err   error
	pages map[string]*template.Template
}

var tpl templates

func (t *templates) load() error {
	t.once.Do(func() {
		common := template.New("").Funcs(funcs)
		common, t.err = common.ParseFS(templateFS, "templates/layout/*.html")
		if t.err != nil {
			return
		}
		t.pages = map[string]*template.Template{}
		pages, err := fs.Glob(templateFS, "templates/pages/*.html")
		if err != nil {
			t.err = err
			return
		}
		for _, p := range pages {
			clone, err := common.Clone()
			if err != nil {
				t.err = err
				return
			}
			if _, err := clone.ParseFS(templateFS, p); err != nil {
				t.err = fmt.Errorf("template %s: %w", p, err)
				return
			}
			t.pages[strings.TrimPrefix(p, "templates/pages/")] = clone
		}
	})
	return t.err
}

// render executes page (a file of templates/pages) into the layout, or
// only its "content" block for htmx partial requests when partial is set.
func (s *Server) render(c *gin.Context, status int, page string, data any) {
	s.renderBlock(c, status, page, "layout", data)
}

// renderThen renders a page and calls wait (for an audit write started
// before) before answering.
func (s *Server) renderThen(c *gin.Context, status int, page string, data any, wait func()) {
	s.renderBlockThen(c, status, page, "layout", data, wait)
}

// renderBlock executes one named template of a page (for htmx fragments).
func (s *Server) renderBlock(c *gin.Context, status int, page, block string, data any) {
	s.renderBlockThen(c, status, page, block, data, nil)
}

func (s *Server) renderBlockThen(c *gin.Context, status int, page, block string, data any, wait func()) {
	defer func() {
		if wait != nil {
			wait() // also when rendering failed
		}
	}()
	if err := tpl.load(); err != nil {
		s.Log.Error("templates", "error", err)
		c.String(http.StatusInternalServerError, msgRenderFailed)
		return
	}
	t, ok := tpl.pages[page]
	if !ok {
		s.Log.Error("unknown page", "page", page)
		c.String(http.StatusInternalServerError, msgRenderFailed)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		s.Log.Error("render", "page", page, "block", block, "error", err)
		c.String(http.StatusInternalServerError, msgRenderFailed)
		return
	}
	if wait != nil {
		wait()
		wait = nil
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// base fills the common page data for the request's operator.
func (s *Server) base(c *gin.Context, title, section string) Base {
	b := Base{Title: title, Section: section, MaxUploadMB: s.Config.MaxUploadBytes >> 20}
	if op, ok := s.sessionOperator(c); ok {
		b.Operator = op
		b.Notifications = op.unread // loaded with the session
	}
	if f, err := c.Cookie(flashCookie); err == nil && f != "" {
		b.Flash = decodeFlash(f)
		c.SetCookie(flashCookie, "", -1, "/", "", secureCookies(c), true)
	}
	return b
}

// errorPage is the data of the error page.
type errorPage struct {
	Base
	Heading string
	Message string
}

// renderError shows an Italian error page (or a fragment for htmx).
func (s *Server) renderError(c *gin.Context, status int, heading, message string) {
	data := errorPage{Base: s.base(c, heading, ""), Heading: heading, Message: message}
	if c.GetHeader("HX-Request") == "true" && c.GetHeader("HX-Boosted") != "true" {
		s.renderBlock(c, status, "error.html", "content", data)
		return
	}
	s.render(c, status, "error.html", data)
}

// operationLabels are the exemption events as operators read them.
var operationLabels = map[string]string{
	string(exemption.Issue):     "Emissione",
	string(exemption.Renew):     "Rinnovo",
	string(exemption.Shorten):   "Fine validità anticipata",
	string(exemption.Revoke):    "Revoca",
	string(exemption.Documents): "Documenti aggiunti",
	string(exemption.Expire):    "Scadenza",
	string(exemption.Remind):    "Promemoria di scadenza",
}
