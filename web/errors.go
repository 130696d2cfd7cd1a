package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Error pages: every answer the application gives an operator is an Italian
// page in the application's layout (one template, error.html, through
// renderError), never Gin's English "404 page not found"; the API answers
// the same cases with a JSON body and a stable code.

// failure is how a request that ends in an error is answered: the API's
// JSON error (Code, API) or the operator's Italian page (Title, Page).
type failure struct {
	Code, API   string
	Title, Page string
}

// abortWith ends the request with status and f, as the API or as a page.
func (s *Server) abortWith(c *gin.Context, status int, f failure) {
	s.abortAs(c, isAPI(c), status, f)
}

func (s *Server) abortAs(c *gin.Context, api bool, status int, f failure) {
	if api {
		c.AbortWithStatusJSON(status, apiError(f.Code, f.API))
		return
	}
	s.renderError(c, status, f.Title, f.Page)
	c.Abort()
}

// pageNotFound answers an address the application does not serve (the
// codec endpoint's in JSON too).
func (s *Server) pageNotFound(c *gin.Context) {
	s.abortAs(c, isAPI(c) || strings.HasPrefix(c.Request.URL.Path, "/codec"), http.StatusNotFound, failure{
		Code: "not_found", API: msgAPINotFound, Title: titlePageNotFound,
		Page: msgPageNotFound,
	})
}

// methodNotAllowed answers a known address asked with the wrong method
// (e.g. an action's URL opened in a new tab).
func (s *Server) methodNotAllowed(c *gin.Context) {
	s.abortWith(c, http.StatusMethodNotAllowed, failure{
		Code: "method_not_allowed", API: msgMethodNotAllowed,
		Title: titleMethodNotAllowed,
		Page:  msgMethodNotAllowedPage,
	})
}
