package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/internal/demo"
	"esenzioni/internal/devstack"
	"esenzioni/internal/mailsink"
	"esenzioni/migrations"
	"esenzioni/store"
	"esenzioni/store/catalog"
	"esenzioni/workflows/searchattr"
)

// parseTool parses the flags of a tool that runs this binary as its web
// and worker processes (bench, cluster, faults) and loads the
// configuration.
func parseTool(fs *flag.FlagSet, args []string) (cfg config.Config, exe string, err error) {
	if err = fs.Parse(args); err != nil {
		return cfg, "", err
	}
	if cfg, err = config.Load(); err != nil {
		return cfg, "", err
	}
	exe, err = os.Executable()
	return cfg, exe, err
}

func envPort(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, v)
	}
	return p, nil
}

// runDev runs the whole system on this machine: every dependency not given
// by an environment variable is started as a child process with its data
// under ESENZIONI_DATA_DIR, then migrations, catalogue and demo data are
// loaded and the worker and web server run until Ctrl-C.
func runDev(ctx context.Context, _ []string) error {
	tuneGCForWeb()
	start := time.Now()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := logger()
	opts := devstack.Options{
		DataDir:          cfg.DataDir,
		SearchAttributes: searchattr.Definitions(),
		CodecEndpoint:    strings.TrimRight(cfg.PublicURL, "/") + "/codec",
		S3AccessKey:      cfg.S3AccessKey,
		S3SecretKey:      cfg.S3SecretKey,
		SkipPostgres:     cfg.DatabaseURL != "",
		SkipTemporal:     cfg.TemporalAddress != "",
		SkipMinIO:        cfg.S3Endpoint != "",
	}
	for _, p := range []struct {
		env  string
		def  int
		dest *int
	}{
		{"ESENZIONI_PG_PORT", 55432, &opts.PGPort},
		{"ESENZIONI_TEMPORAL_PORT", 7233, &opts.TemporalPort},
		{"ESENZIONI_TEMPORAL_UI_PORT", 8233, &opts.TemporalUIPort},
		{"ESENZIONI_MINIO_PORT", 9000, &opts.MinIOPort},
		{"ESENZIONI_MINIO_CONSOLE_PORT", 9001, &opts.MinIOConsolePort},
	} {
		if *p.dest, err = envPort(p.env, p.def); err != nil {
			return err
		}
	}
	if err := checkHTTPPortFree(cfg.HTTPAddr); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "esenzioni dev: starting the local services in", cfg.DataDir, "...")
	stack, err := devstack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "esenzioni dev: stopping the local services ...")
		stack.Stop()
	}()
	consoleURL := ""
	// Without an SMTP relay, reminder emails go to an in-process sink with a
	// small web viewer, so a developer sees what citizens would receive.
	mailURL := ""
	if cfg.SMTPAddr == "" {
		smtpPort, err := envPort("ESENZIONI_MAIL_PORT", 1025)
		if err != nil {
			return err
		}
		uiPort, err := envPort("ESENZIONI_MAIL_UI_PORT", 8025)
		if err != nil {
			return err
		}
		sink, err := mailsink.Start(fmt.Sprintf("127.0.0.1:%d", smtpPort))
		if err != nil {
			return fmt.Errorf("mail sink: 127.0.0.1:%d is taken; choose another port with ESENZIONI_MAIL_PORT (%v)", smtpPort, err)
		}
		defer sink.Close()
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", uiPort))
		if err != nil {
			return fmt.Errorf("mail viewer: 127.0.0.1:%d is taken; choose another port with ESENZIONI_MAIL_UI_PORT", uiPort)
		}
		srv := &http.Server{Handler: sink.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(l) }()
		defer srv.Close()
		cfg.SMTPAddr = sink.Addr()
		mailURL = fmt.Sprintf("http://localhost:%d", uiPort)
	}
	if stack.Postgres != nil {
		// Least privilege: the schema belongs to the owner role, which
		// migrates; the application logs in as a role that owns nothing.
		if err := stack.Postgres.ProvisionDatabase(ctx, "esenzioni"); err != nil {
			return err
		}
		cfg.DatabaseURL = stack.Postgres.AppURL("esenzioni")
		cfg.MigrateDatabaseURL = stack.Postgres.OwnerURL("esenzioni")
	}
	if stack.Temporal != nil {
		cfg.TemporalAddress = stack.Temporal.Address()
		cfg.TemporalUIURL = stack.Temporal.UIURL()
	}
	if stack.MinIO != nil {
		cfg.S3Endpoint = stack.MinIO.Endpoint()
		consoleURL = stack.MinIO.ConsoleURL()
	}

	// Signed documents: without a configured trust store, a demo CA kept in
	// the data directory (and a demo signer to make test documents with
	// `esenzioni firma-demo`).
	if cfg.TrustStoreDir == "" {
		cfg.TrustStoreDir = filepath.Join(cfg.DataDir, "truststore")
		if _, _, err := demo.LoadOrCreateCA(cfg.TrustStoreDir); err != nil {
			return fmt.Errorf("demo CA: %w", err)
		}
	}

	// Certificate and SPID/CIE logins: the demo CNS CA and the local
	// OpenID Connect provider, unless configured (dev_login.go).
	stopLogin, err := devLogin(ctx, &cfg)
	defer stopLogin()
	if err != nil {
		return err
	}

	// Migrations and the catalogue run as the owner role, the app as the
	// restricted one.
	owner, err := store.Open(ctx, cfg.MigrationURL(), store.OpenOptions{AppName: "esenzioni-migrate", Maintenance: true})
	if err != nil {
		return err
	}
	if _, err := migrations.Migrate(ctx, owner); err != nil {
		owner.Close()
		return err
	}
	rep, err := catalog.ImportEmbedded(ctx, owner, catalog.Options{Regional: cfg.RegionalCodes})
	owner.Close()
	if err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	log.Info("catalogue loaded", "elapsed", rep.Elapsed.Round(time.Millisecond))

	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.EnsureBucket(ctx); err != nil {
		return err
	}
	if err := a.RegisterSearchAttributes(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- runAll(ctx, a) }()

	var accounts []demo.Account
	if cfg.DemoData {
		drep, err := demo.Load(ctx, a, a.Practices())
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		accounts = drep.Accounts
		log.Info("demo data loaded", "elapsed", drep.Elapsed.Round(time.Millisecond))
	}
	printBanner(cfg, consoleURL, mailURL, accounts, time.Since(start))
	return <-errc
}

func checkHTTPPortFree(addr string) error {
	l, err := listenCheck(addr)
	if err != nil {
		return fmt.Errorf("web: %s is taken by another program; stop it or choose another address with HTTP_ADDR", addr)
	}
	return l.Close()
}

func printBanner(cfg config.Config, consoleURL, mailURL string, accounts []demo.Account, took time.Duration) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  Esenzioni per patologia is running (ready in %s)\n\n", took.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "  Application      %s\n", cfg.PublicURL)
	fmt.Fprintf(&b, "  Health           %s/healthz\n", strings.TrimRight(cfg.PublicURL, "/"))
	fmt.Fprintf(&b, "  Intake API       %s/api/openapi.yaml\n", strings.TrimRight(cfg.PublicURL, "/"))
	if cfg.TemporalUIURL != "" {
		fmt.Fprintf(&b, "  Temporal UI      %s/namespaces/%s/workflows\n", cfg.TemporalUIURL, cfg.TemporalNamespace)
	}
	if consoleURL != "" {
		fmt.Fprintf(&b, "  MinIO console    %s  (user %s, password %s)\n", consoleURL, cfg.S3AccessKey, cfg.S3SecretKey)
	}
	if mailURL != "" {
		fmt.Fprintf(&b, "  Outgoing mail    %s  (reminder emails, not delivered)\n", mailURL)
	}
	if len(accounts) > 0 {
		fmt.Fprintf(&b, "\n  Demo accounts (username / password / PIN):\n")
		for _, a := range accounts {
			fmt.Fprintf(&b, "    %-22s %-16s %-7s %s\n", a.Username, a.Password, a.PIN, a.Description)
		}
		fmt.Fprintf(&b, "\n  Demo API tokens: %s (doctor's software), %s (citizens' portal)\n", demo.TokenDoctor, demo.TokenPortal)
	}
	b.WriteString(loginBanner)
	fmt.Fprintf(&b, "\n  Data in %s · Ctrl-C stops everything\n\n", cfg.DataDir)
	fmt.Fprint(os.Stderr, b.String())
}

func listenCheck(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
