package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/audit"
)

// crossOrigin is the protection against cross-site request forgery, one
// middleware for every route: net/http's CrossOriginProtection refuses a
// state-changing request (anything but GET, HEAD and OPTIONS) that a
// browser sent from another origin, by the browser's Sec-Fetch-Site header
// or, from older browsers, by an Origin that is not the request's host.
// Requests with neither, those of the API's clients (bearer tokens, no
// cookies) and of the command line, pass. The codec endpoint is called
// cross-origin by the Temporal UI and has its own origin check
// (routeCodec), so it is left out here.
func (s *Server) crossOrigin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	for _, p := range codecPaths {
		cop.AddInsecureBypassPattern(p)
	}
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			s.crossOriginRefused(c)
			return
		}
		c.Next()
	}
}

// crossOriginRefused answers and audits a forged request: the API's error
// code for the API, the Italian error page otherwise.
func (s *Server) crossOriginRefused(c *gin.Context) {
	op, _ := s.sessionOperator(c)
	s.audit(c, audit.Record{Action: audit.CSRF, Target: c.Request.URL.Path, Outcome: audit.OutcomeDenied}, op)
	s.abortWith(c, http.StatusForbidden, failure{
		Code: "request.cross_origin", API: msgCrossOrigin, Title: titleBadRequest,
		Page: msgCrossOriginPage,
	})
}
