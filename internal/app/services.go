package app

import (
	"log/slog"

	"esenzioni/domain/exemptioncode"
	"esenzioni/domain/places"
	"esenzioni/service/accesslog"
	"esenzioni/service/exemptions"
	"esenzioni/service/idempotency"
	"esenzioni/service/notifications"
	"esenzioni/service/practices"
	"esenzioni/service/sessions"
	"esenzioni/web"
)

// The one wiring of the service layer on the app's connections: the web
// server, the demo loader, the tests and the benchmarks build their services
// here, so that they all run what production runs.

// Practices builds the practices service (intake, drafts, actions).
func (a *App) Practices() *practices.Service {
	return &practices.Service{
		Store: a.Store, Temporal: a.Temporal, TaskQueue: a.Config.TaskQueue,
		Places: places.Default(), Codes: exemptioncode.New(a.Config.RegionalCodes...),
		ReminderOffsets: a.Config.ReminderOffsets, Log: a.Log.With("component", "practices"),
	}
}

// Exemptions builds the exemptions service (changes of end date).
func (a *App) Exemptions() *exemptions.Service {
	return &exemptions.Service{Store: a.Store, Temporal: a.Temporal, TaskQueue: a.Config.TaskQueue,
		ReminderOffsets: a.Config.ReminderOffsets}
}

// WebDeps is what the web server runs on: the read model for its reads and
// the services, its only way to write. Callers may replace a service (a test
// sharing its Practices with the server) or add options before web.New.
func (a *App) WebDeps(log *slog.Logger) web.Deps {
	if log == nil {
		log = a.Log.With("component", "web")
	}
	return web.Deps{
		Config: a.Config, Log: log, Store: a.Store, Temporal: a.Temporal, S3: a.S3, Codec: a.Codec,
		Practices: a.Practices(), Exemptions: a.Exemptions(), Attachments: a.Attachments,
		Sessions: &sessions.Service{Store: a.Store}, AccessLog: &accesslog.Service{Store: a.Store},
		Notifications: &notifications.Service{Store: a.Store}, Idempotency: &idempotency.Service{Store: a.Store},
	}
}
