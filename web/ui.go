package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"esenzioni/store"
)

// routeUI mounts the operators' pages.
func (s *Server) routeUI(e *gin.Engine) {
	s.routeStatic(e)
	e.GET("/favicon.ico", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	e.GET("/login", s.loginForm)
	e.POST("/login", s.login)

	ui := e.Group("/", s.requireLogin, s.deferredInput)
	ui.POST("/logout", s.logout)
	ui.GET("/", s.home)
	ui.POST("/profilo", s.switchProfile)
	ui.GET("/notifiche", s.notifications)

	ui.GET("/pratiche", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/pratiche/da-fare") })
	ui.GET("/pratiche/da-fare", s.practiceList(tabToDo))
	ui.GET("/pratiche/chiuse", s.practiceList(tabClosed))
	ui.GET("/pratiche/:number", s.practiceDetail)
	ui.GET("/pratiche/:number/cronologia", s.practiceHistory)
	ui.GET("/pratiche/:number/prestazioni", s.practiceServices)
	ui.POST("/pratiche/:number/azioni/:action", s.practiceAction)

	ui.GET("/esenzioni", s.exemptionList)
	ui.GET("/esenzioni/nuova", s.wizardSearch)
	ui.GET("/esenzioni/nuova/assistito", s.wizardPerson)
	ui.POST("/esenzioni/nuova", s.wizardStart)
	ui.GET("/esenzioni/nuova/:draft/tipologia", s.wizardTipologia)
	ui.POST("/esenzioni/nuova/:draft/tipologia", s.wizardTipologia)
	ui.GET("/esenzioni/nuova/:draft/scadenza", s.wizardScadenza)
	ui.POST("/esenzioni/nuova/:draft/scadenza", s.wizardScadenza)
	ui.GET("/esenzioni/nuova/:draft/documenti", s.wizardDocumenti)
	ui.GET("/esenzioni/nuova/:draft/riepilogo", s.wizardRiepilogo)
	ui.POST("/esenzioni/nuova/:draft/conferma", s.wizardConfirm)
	ui.GET("/esenzioni/nuova/:draft/esito", s.wizardResult)
	ui.GET("/esenzioni/:id", s.exemptionDetail)
	ui.GET("/esenzioni/:id/prestazioni", s.exemptionServices)
	ui.GET("/esenzioni/:id/promemoria.pdf", s.promemoria)
	ui.GET("/esenzioni/:id/modifica", s.exemptionEditForm)
	ui.POST("/esenzioni/:id/modifica", s.exemptionEdit)
	ui.POST("/esenzioni/:id/modifica/documenti", s.exemptionDocumentUpload)
	ui.POST("/esenzioni/:id/modifica/documenti/:doc/elimina", s.exemptionDocumentDelete)
	ui.POST("/esenzioni/nuova/:draft/documenti", s.wizardDocumentUpload)
	ui.POST("/esenzioni/nuova/:draft/documenti/:doc/elimina", s.wizardDocumentDelete)
	ui.GET("/documenti/:doc", s.documentDownload)
	ui.GET("/documenti/:doc/contenuto", s.documentDownload)
	ui.GET("/pratiche/:number/certificato", s.practiceCertificate)
	ui.GET("/pratiche/:number/allegati.zip", s.practiceAttachmentsZip)

	ui.GET("/amministrazione/accessi", s.auditExportForm)
	ui.GET("/amministrazione/accessi.csv", s.auditExport)
}

type homePage struct {
	Base
	Personal []store.Notification
	Others   []store.Notification
	// The SLA notice: open practices waiting beyond SLADays, per ASL (the
	// operator's own ASL, or every ASL for regional profiles).
	Overdue      []store.OverdueCount
	OverdueTotal int
	SLADays      int
}

// home is the page after login (manual 3.2): profile, services, notifications.
func (s *Server) home(c *gin.Context) {
	op := currentOperator(c)
	ns, err := s.Store.NotificationsFor(c.Request.Context(), op.ID, op.Profile.ASL, 20)
	if err != nil {
		s.fail(c, err)
		return
	}
	asl := op.Profile.ASL
	if op.Profile.Role.Regional() {
		asl = ""
	}
	overdue, err := s.Store.OverdueByASL(c.Request.Context(), asl, s.overdueBefore())
	if err != nil {
		s.fail(c, err)
		return
	}
	page := homePage{Base: s.base(c, "Servizi", "home"), Overdue: overdue, SLADays: s.slaDays()}
	for _, o := range overdue {
		page.OverdueTotal += o.Total()
	}
	page.split(ns)
	s.render(c, http.StatusOK, "home.html", page)
}

// split files notifications under Personal (the operator's own) and
// Others (their ASL's).
func (p *homePage) split(ns []store.Notification) {
	for _, n := range ns {
		if n.Personal {
			p.Personal = append(p.Personal, n)
		} else {
			p.Others = append(p.Others, n)
		}
	}
}

// notifications shows all of an operator's notifications and marks them read.
func (s *Server) notifications(c *gin.Context) {
	op := currentOperator(c)
	ns, err := s.Store.NotificationsFor(c.Request.Context(), op.ID, op.Profile.ASL, 200)
	if err != nil {
		s.fail(c, err)
		return
	}
	ids := make([]int64, 0, len(ns))
	for _, n := range ns {
		if !n.Read {
			ids = append(ids, n.ID)
		}
	}
	if err := s.Notifications.MarkRead(c.Request.Context(), op.ID, ids); err != nil {
		s.fail(c, err)
		return
	}
	op.unread = max(op.unread-len(ids), 0)
	page := homePage{Base: s.base(c, "Notifiche", "home")}
	page.split(ns)
	s.render(c, http.StatusOK, "notifications.html", page)
}
