package web

import (
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

// routeCodec serves the remote payload codec of the Temporal Web UI
// (POST /codec/encode and /codec/decode). Payloads hold personal data, so
// only an authenticated regional administrator may decode them: the UI sends
// the operator's session cookie ("include cross-origin credentials" in the
// UI's codec settings) from the same site. Every call is audited.
func (s *Server) routeCodec(e *gin.Engine) {
	h := converter.NewPayloadCodecHTTPHandler(s.Codec)
	serve := func(c *gin.Context) {
		s.codecCORS(c)
		if c.Request.Method == http.MethodOptions {
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		op, ok := s.sessionOperator(c)
		if !ok {
			// The Temporal CLI sends a supervisor's session token with
			// --codec-auth "Bearer <token>" (it has no cookies).
			if token, found := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); found {
				if o, err := s.loadSessionToken(c, strings.TrimSpace(token)); err == nil {
					op, ok = o, true
				}
			}
		}
		if !ok || !op.Profile.Role.Regional() {
			// One denial row per session (or per address without one), not
			// one per workflow page the Temporal UI shows.
			if s.codecDenials.first(codecDenialKey(c, op)) {
				s.audit(c, auditEntry{Action: "CODEC", Target: c.Request.URL.Path, Outcome: "NEGATO"}, op)
			}
			if ok && strings.HasSuffix(c.Request.URL.Path, "/decode") {
				// A logged-in operator who is not an administrator browses
				// the Temporal UI: the payloads stay encrypted, as they are,
				// and the UI shows them so without an error banner.
				passThrough(c)
				return
			}
			c.AbortWithStatusJSON(http.StatusForbidden, apiError("auth.forbidden",
				"Solo un amministratore regionale autenticato può leggere i dati cifrati."))
			return
		}
		s.audit(c, auditEntry{Action: "CODEC", Target: c.Request.URL.Path, Outcome: "OK"}, op)
		if strings.HasSuffix(c.Request.URL.Path, "/encode") {
			// What a supervisor encodes (a signal's command) carries who
			// they are: the workflow acts as this caller, not as the actor
			// the JSON names.
			converter.NewPayloadCodecHTTPHandler(s.Codec.Stamp("caller", op.Actor())).ServeHTTP(c.Writer, c.Request)
			return
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
	for _, p := range []string{"/codec/encode", "/codec/decode"} {
		e.POST(p, serve)
		e.OPTIONS(p, serve)
	}
}

// codecDenialKey names who was denied: the session, or the address.
func codecDenialKey(c *gin.Context, op *Operator) string {
	if op != nil {
		return "s:" + string(op.digest)
	}
	return "a:" + c.ClientIP()
}

// passThrough answers a decode with the payloads it was sent.
func passThrough(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, 8<<20))
	if err != nil {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	var payloads commonpb.Payloads
	if err := protojson.Unmarshal(body, &payloads); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("request.malformed", "Richiesta non valida."))
		return
	}
	out, err := protojson.Marshal(&payloads)
	if err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Data(http.StatusOK, "application/json", out)
}

// denialSet remembers who was already denied (bounded: forgets everyone
// past 10000 entries, then audits each once more).
type denialSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

// first reports whether key is denied for the first time.
func (d *denialSet) first(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen[key] {
		return false
	}
	if d.seen == nil || len(d.seen) >= 10000 {
		d.seen = map[string]bool{}
	}
	d.seen[key] = true
	return true
}

// codecCORS allows the Temporal Web UI's origin, with credentials.
func (s *Server) codecCORS(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" || !strings.EqualFold(strings.TrimRight(origin, "/"), strings.TrimRight(s.Config.TemporalUIURL, "/")) {
		return
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
	h.Set("Vary", "Origin")
}
