package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/internal/demo"
	"esenzioni/internal/httpcheck"
	"esenzioni/internal/metrics"
	"esenzioni/migrations"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/store/catalog"
	"esenzioni/web"
	"esenzioni/worker"
)

// serveWeb runs the web server until ctx ends. The web processes export
// the domain gauges (read from the read model, cached 30 s).
func serveWeb(ctx context.Context, a *app.App) error {
	srv, err := web.New(a.WebDeps(nil))
	if err != nil {
		return err
	}
	metrics.RegisterDomain(a.DB, 30*time.Second)
	return srv.RunAll(ctx) // HTTP_ADDR, and the certificate listener when configured
}

// runWorker runs the Temporal worker until ctx ends.
func serveWorker(ctx context.Context, a *app.App) error {
	if err := a.RegisterSearchAttributes(ctx); err != nil {
		return err
	}
	if err := worker.EnsureSchedules(ctx, a.Temporal, a.Config.TaskQueue); err != nil {
		return err
	}
	w := worker.NewWithOptions(a.Temporal, a.Config.TaskQueue, a.Activities(), worker.Options{
		CacheSize:      a.Config.WorkflowCacheSize,
		DeploymentName: a.Config.TemporalDeploymentName,
		BuildID:        a.Config.TemporalBuildID,
	})
	if err := w.Start(); err != nil {
		return fmt.Errorf("temporal worker: %w", err)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}

// withApp opens the application's connections for fn and closes them
// after.
func withApp(ctx context.Context, fn func(a *app.App) error) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger())
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func runWeb(ctx context.Context, _ []string) error {
	tuneGCForWeb()
	return withApp(ctx, func(a *app.App) error {
		a.Log.Info("web server listening", "addr", a.Config.HTTPAddr)
		if err := serveMetrics(ctx, a, dependenciesReady(a)); err != nil {
			return err
		}
		return serveWeb(ctx, a)
	})
}

func runWorker(ctx context.Context, _ []string) error {
	return withApp(ctx, func(a *app.App) error {
		a.Log.Info("worker started", "task_queue", a.Config.TaskQueue, "namespace", a.Config.TemporalNamespace)
		if err := serveDebug(ctx, a.Log); err != nil {
			return err
		}
		if err := serveMetrics(ctx, a, dependenciesReady(a)); err != nil {
			return err
		}
		return serveWorker(ctx, a)
	})
}

// openDB connects to the database only, as the migrating (owner) role.
func openDB(ctx context.Context) (*store.Store, config.Config, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, cfg, err
	}
	db, err := store.Open(ctx, cfg.MigrationURL(), store.OpenOptions{AppName: "esenzioni-migrate", Maintenance: true})
	if err != nil {
		return nil, cfg, err
	}
	return store.New(db), cfg, nil
}

func runMigrate(ctx context.Context, _ []string) error {
	st, _, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	applied, err := migrations.Migrate(ctx, st.DB)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Println("database is up to date")
	}
	for _, m := range applied {
		fmt.Println("applied", m)
	}
	return nil
}

func runImport(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "catalog" || len(args) > 2 {
		return errors.New("usage: esenzioni import catalog [DIR]")
	}
	st, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	opts := catalog.Options{Regional: cfg.RegionalCodes, Progress: os.Stderr}
	var rep catalog.Report
	if len(args) == 2 {
		rep, err = catalog.Import(ctx, st.DB, os.DirFS(args[1]), opts)
	} else {
		rep, err = catalog.ImportEmbedded(ctx, st.DB, opts)
	}
	if err != nil {
		return err
	}
	fmt.Print(rep.String())
	return nil
}

func runDemo(ctx context.Context, _ []string) error {
	return withApp(ctx, func(a *app.App) error {
		if !a.Config.DemoData {
			fmt.Println("ESENZIONI_DEMO_DATA=false: demo data not loaded")
			return nil
		}
		rep, err := demo.Load(ctx, a, a.Practices())
		if err != nil {
			return err
		}
		fmt.Print(rep.String())
		return nil
	})
}

func runReindex(ctx context.Context, _ []string) error {
	return withApp(ctx, func(a *app.App) error {
		r := &service.Reconciler{Store: a.Store, Temporal: a.Temporal, Progress: func(done int) {
			if done%100 == 0 {
				fmt.Fprintf(os.Stderr, "\rreindexed %d workflows", done)
			}
		}}
		rep, err := r.Run(ctx, service.Scope{})
		fmt.Fprint(os.Stderr, "\r")
		fmt.Print(service.ReportString(rep))
		return err
	})
}

func runHealthcheck(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: esenzioni healthcheck URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return httpcheck.Get(ctx, args[0], httpcheck.OK)
}

// runAll runs the worker and the web server together until ctx ends or one
// of them fails.
func runAll(ctx context.Context, a *app.App) error {
	g, ctx := errgroup.WithContext(ctx)
	if err := serveMetrics(ctx, a, dependenciesReady(a)); err != nil {
		return err
	}
	g.Go(func() error { return serveWorker(ctx, a) })
	g.Go(func() error { return serveWeb(ctx, a) })
	return g.Wait()
}
