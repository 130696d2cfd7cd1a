package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/internal/metrics"
	"esenzioni/internal/requestid"
)

// observe is the first middleware of every request: it gives the request
// its ID (the caller's X-Request-Id when usable, else a new one; answered in
// the same header and carried by the request's context into logs, audit rows
// and Temporal calls), counts and times it by route template
// (esenzioni_http_requests_total, esenzioni_http_request_duration_seconds)
// and writes the access log line. Neither the metrics nor the log hold
// personal data: the route is the template (/pratiche/:numero), never the
// path or the query string, and no client address is logged.
//
// Without METRICS_ADDR the web server also answers GET /metrics itself.
func (s *Server) observe() gin.HandlerFunc {
	serveMetrics := s.Config.MetricsAddr == ""
	handler := metrics.Handler()
	return func(c *gin.Context) {
		if serveMetrics && c.Request.URL.Path == "/metrics" && c.Request.Method == http.MethodGet {
			// No route matches /metrics: gin has set 404 already.
			c.Status(http.StatusOK)
			handler.ServeHTTP(c.Writer, c.Request)
			c.Abort()
			return
		}
		start := time.Now()
		id := c.GetHeader(requestid.Header)
		if !requestid.Valid(id) {
			id = requestid.New()
		}
		c.Header(requestid.Header, id)
		c.Request = c.Request.WithContext(requestid.With(c.Request.Context(), id))

		c.Next()

		route := c.FullPath()
		if route == "" {
			route = "unmatched" // 404s: their paths are anybody's guess
		}
		method := c.Request.Method
		status := c.Writer.Status()
		elapsed := time.Since(start)
		metrics.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		metrics.HTTPDuration.WithLabelValues(route, method).Observe(elapsed.Seconds())
		if route == "/healthz" && status == 200 {
			return // probes every few seconds: not worth a line
		}
		s.Log.InfoContext(c.Request.Context(), "http",
			"method", method, "route", route, "status", status,
			"duration_ms", elapsed.Milliseconds(), "bytes", c.Writer.Size())
	}
}
