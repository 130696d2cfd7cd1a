package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/service"
)

// unavailable reports whether err means a service the application needs
// (PostgreSQL, Temporal) cannot be reached: a 503 to retry, not a bug.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, service.ErrUnavailable) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	// PostgreSQL's own: connection exceptions (class 08), shutting down or
	// starting up (57P01-57P03).
	var pg pgdriver.Error
	if errors.As(err, &pg) {
		code := pg.Field('C')
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// renderUnavailable answers 503 with an Italian page (or API body) that
// tells the operator to try again: nothing was lost, the session stays.
func (s *Server) renderUnavailable(c *gin.Context, err error) {
	s.Log.Warn("dependency unavailable", "path", c.FullPath(), "error", err)
	c.Header("Retry-After", "30")
	s.abortWith(c, http.StatusServiceUnavailable, failure{
		Code: "service.unavailable", API: msgUnavailable,
		Title: titleUnavailable,
		Page:  msgUnavailablePage,
	})
}
