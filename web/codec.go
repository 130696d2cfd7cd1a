package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/converter"
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
			s.audit(c, auditEntry{Action: "CODEC", Target: c.Request.URL.Path, Outcome: "NEGATO"}, op)
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
