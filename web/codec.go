package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"esenzioni/domain/audit"
)

// routeCodec serves the remote payload codec of the Temporal Web UI and
// CLI (POST /codec/encode and /codec/decode). Payloads hold personal data,
// so only an authenticated regional administrator may use it; every call is
// audited, and what a supervisor encodes (a signal's command) carries who
// they are.
//
// Two ways to authenticate:
//   - the session cookie, sent by the Temporal UI ("include cross-origin
//     credentials" in its codec settings). The cookie goes with any request
//     from the same site, and every port of localhost is the same site: the
//     cookie alone proves nothing. So it counts only on a request whose
//     Origin is exactly the configured Temporal UI's (TEMPORAL_UI_URL:
//     scheme, host and port) and whose body is application/json, which a
//     page can only send after a CORS preflight that this endpoint grants to
//     that origin alone. A cross-site form or a no-cors fetch from another
//     page (another localhost port included) is refused.
//   - a session token in Authorization: Bearer (the Temporal CLI's
//     --codec-auth): no other page can attach it, so it needs no origin.
func (s *Server) routeCodec(e *gin.Engine) {
	serve := func(c *gin.Context) {
		originOK := s.codecOriginAllowed(c)
		if c.Request.Method == http.MethodOptions {
			if !originOK {
				s.codecOriginRefused(c, nil)
				return
			}
			s.codecCORS(c)
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		if originOK {
			s.codecCORS(c)
		}
		if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
			c.AbortWithStatusJSON(http.StatusUnsupportedMediaType, apiError(codeUnsupportedType,
				msgCodecContentType))
			return
		}
		var op *Operator
		ok := false
		if token, found := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); found {
			if o, err := s.loadSessionToken(c, strings.TrimSpace(token)); err == nil {
				op, ok = o, true
			}
		}
		if !ok {
			if !originOK {
				cookieOp, _ := s.sessionOperator(c)
				s.codecOriginRefused(c, cookieOp)
				return
			}
			op, ok = s.sessionOperator(c)
		}
		if !ok || !op.Profile.Role.Regional() {
			// One denial row per session (or per address without one), not
			// one per workflow page the Temporal UI shows.
			if s.codecDenials.first(codecDenialKey(c, op)) {
				s.audit(c, audit.Record{Action: audit.Codec, Target: c.Request.URL.Path, Outcome: audit.OutcomeDenied}, op)
			}
			if ok && strings.HasSuffix(c.Request.URL.Path, "/decode") {
				// A logged-in operator who is not an administrator browses
				// the Temporal UI: the payloads stay encrypted, as they are,
				// and the UI shows them so without an error banner.
				passThrough(c)
				return
			}
			c.AbortWithStatusJSON(http.StatusForbidden, apiError("auth.forbidden",
				msgCodecAdminOnly))
			return
		}
		s.audit(c, audit.Record{Action: audit.Codec, Target: c.Request.URL.Path, Outcome: audit.OutcomeOK}, op)
		if strings.HasSuffix(c.Request.URL.Path, "/encode") {
			// The workflow acts as this caller, not as the actor the JSON
			// names.
			s.serveCodec(c, s.Codec.Stamp("caller", op.Actor()), true)
			return
		}
		s.serveCodec(c, s.Codec, false)
	}
	for _, p := range codecPaths {
		e.POST(p, serve)
		e.OPTIONS(p, serve)
	}
}

// codecPaths are the codec endpoint's routes.
var codecPaths = []string{"/codec/encode", "/codec/decode"}

// codecOriginRefused answers a cookie-authenticated (or anonymous) call
// from an origin other than the Temporal UI's, and audits it.
func (s *Server) codecOriginRefused(c *gin.Context, op *Operator) {
	s.audit(c, audit.Record{Action: audit.Codec, Target: c.Request.URL.Path, Outcome: audit.OutcomeDenied,
		Detail: map[string]any{"motivo": "origine"}}, op)
	c.AbortWithStatusJSON(http.StatusForbidden, apiError("codec.origin_not_allowed",
		msgCodecOrigin))
}

// maxCodecBody bounds a codec request (the payloads of one history page).
const maxCodecBody = 8 << 20

// serveCodec encodes or decodes the request's payloads (the remote codec
// protocol: Payloads as protobuf JSON in and out). A body that is not
// Payloads, or payloads the codec cannot open, get a stable code; the
// library's error text goes to the log only.
func (s *Server) serveCodec(c *gin.Context, pc converter.PayloadCodec, encode bool) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxCodecBody+1))
	if err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("request.unreadable", msgBodyUnreadable))
		return
	}
	if len(body) > maxCodecBody {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, apiError(codeBodyTooLarge, msgRequestTooLarge))
		return
	}
	var in commonpb.Payloads
	if err := protojson.Unmarshal(body, &in); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("codec.malformed",
			msgCodecBadBody))
		return
	}
	var out []*commonpb.Payload
	if encode {
		out, err = pc.Encode(in.Payloads)
	} else {
		out, err = pc.Decode(in.Payloads)
	}
	if err != nil {
		s.Log.Warn("codec: payloads refused", "route", c.FullPath(), "error", err)
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("codec.failed",
			msgCodecBadKey))
		return
	}
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		s.Log.Error("codec: encode answer", "error", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, apiError("internal", msgInternal))
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}

// codecOriginAllowed: the request's Origin is exactly the Temporal UI's.
func (s *Server) codecOriginAllowed(c *gin.Context) bool {
	origin := strings.ToLower(c.GetHeader("Origin"))
	return s.codecOrigin != "" && origin == s.codecOrigin
}

// codecCORS grants the Temporal UI's origin, with credentials.
func (s *Server) codecCORS(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", s.codecOrigin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
}

// originOf is the origin of a URL as browsers send it in Origin: scheme and
// host in lower case, the port only when it is not the scheme's default.
func originOf(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Hostname() == "" {
		return "", errors.New("not an http(s) URL: " + raw)
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
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
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxCodecBody))
	if err != nil {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	var payloads commonpb.Payloads
	if err := protojson.Unmarshal(body, &payloads); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("request.malformed", msgCodecBadRequest))
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
