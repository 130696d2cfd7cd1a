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

// pageNotFound answers an address the application does not serve.
func (s *Server) pageNotFound(c *gin.Context) {
	if isAPI(c) || strings.HasPrefix(c.Request.URL.Path, "/codec") {
		c.AbortWithStatusJSON(http.StatusNotFound, apiError("not_found", "Risorsa inesistente."))
		return
	}
	s.renderError(c, http.StatusNotFound, "Pagina non trovata",
		"L'indirizzo richiesto non corrisponde a nessuna pagina del servizio. Controlla l'indirizzo oppure torna alla Home.")
	c.Abort()
}

// methodNotAllowed answers a known address asked with the wrong method
// (e.g. an action's URL opened in a new tab).
func (s *Server) methodNotAllowed(c *gin.Context) {
	if isAPI(c) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, apiError("method_not_allowed", "Metodo non consentito per questa risorsa."))
		return
	}
	s.renderError(c, http.StatusMethodNotAllowed, "Operazione non disponibile a questo indirizzo",
		"La pagina non si apre direttamente da questo indirizzo: torna indietro e usa i pulsanti del servizio.")
	c.Abort()
}
