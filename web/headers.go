package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy allows the pages only their own scripts, images,
// fonts and connections, served by the application: no inline script, no
// inline event handler, no eval (htmx's is switched off by its meta
// configuration in the layout), no plugin, no framing, forms posted only to
// the application itself (which also stops a form's redirect to another
// site). Images and fonts may be data: URLs (Bootstrap Italia's CSS icons).
// Styles may be inline: the vendored Bootstrap Italia sets style attributes
// from its scripts (Chromium reported 14 refusals on the wizard and the
// exemption page with style-src 'self'); with images, fonts and connections
// limited to the application, an injected style has no way to send
// anything out.
//
// form-action also lists the origins of the configured SPID/CIE providers:
// the logout form's answer redirects to the provider's end-session
// endpoint (RP-initiated logout), and browsers apply form-action to that
// redirect. (A provider whose end-session endpoint is on another host than
// its issuer needs that host added here.)
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// policyWithFormTargets adds origins to the policy's form-action.
func policyWithFormTargets(origins []string) string {
	if len(origins) == 0 {
		return contentSecurityPolicy
	}
	return strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+strings.Join(origins, " "), 1)
}

// permissionsPolicy turns off the browser features the back office never
// uses.
const permissionsPolicy = "accelerometer=(), autoplay=(), camera=(), display-capture=(), " +
	"geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), " +
	"publickey-credentials-get=(), usb=(), screen-wake-lock=(), xr-spatial-tracking=()"

// hsts is sent only on requests that arrived over TLS (directly, or through
// a trusted proxy that says so): a year, subdomains included.
const hsts = "max-age=31536000; includeSubDomains"

const ctxOverTLS = "overTLS"

// securityHeaders sets the headers of every answer.
func (s *Server) securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		tls := s.overTLS(c)
		c.Set(ctxOverTLS, tls)
		h := c.Writer.Header()
		csp := s.csp
		if csp == "" {
			csp = contentSecurityPolicy
		}
		h.Set("Content-Security-Policy", csp)
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if tls {
			h.Set("Strict-Transport-Security", hsts)
		}
		c.Next()
	}
}

// fromTrustedProxy reports whether the request comes straight from one of
// the configured proxies (TRUSTED_PROXIES).
func (s *Server) fromTrustedProxy(c *gin.Context) bool {
	host, _, err := net.SplitHostPort(strings.TrimSpace(c.Request.RemoteAddr))
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range s.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// overTLS reports whether the browser reached the application over HTTPS:
// TLS here, or X-Forwarded-Proto: https from a trusted proxy. From anyone
// else the header means nothing.
func (s *Server) overTLS(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(c.GetHeader("X-Forwarded-Proto")), "https") && s.fromTrustedProxy(c)
}

// secureCookies reports whether cookies must be marked Secure: the request
// came over HTTPS (see overTLS).
func secureCookies(c *gin.Context) bool {
	if v, ok := c.Get(ctxOverTLS); ok {
		return v.(bool)
	}
	return c.Request.TLS != nil
}

// parseProxies turns the configured proxies (CIDR ranges, already checked
// by the configuration) into networks.
func parseProxies(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range list {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// recovery turns a panic into the generic error answer: the panic is logged,
// never shown.
func (s *Server) recovery() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		s.Log.Error("panic serving request", "route", c.FullPath(), "panic", err)
		if c.Writer.Written() {
			c.Abort()
			return
		}
		s.abortWith(c, http.StatusInternalServerError, failure{Code: "internal", API: msgInternal,
			Title: titleInternal,
			Page:  msgInternalPage})
	})
}
