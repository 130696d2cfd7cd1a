// Package apptest runs the whole application inside a test: a fresh
// database copied from the template, its own Temporal namespace with a worker,
// its own S3 bucket, and the web server on a loopback port. Tests drive it
// through the services, the HTTP API or a real browser.
package apptest

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"esenzioni/adapters/codec"
	"esenzioni/adapters/registry"
	"esenzioni/adapters/signature"
	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/internal/testenv"
	"esenzioni/internal/testpki"
	"esenzioni/internal/testsign"
	"esenzioni/service/exemptions"
	"esenzioni/service/practices"
	"esenzioni/store"
	"esenzioni/web"
	"esenzioni/worker"
)

// Env is a running application.
type Env struct {
	T          testing.TB
	App        *app.App
	DB         *testenv.DB
	Namespace  string
	Practices  *practices.Service
	Exemptions *exemptions.Service
	Web        *web.Server
	URL        string // base URL of the web server
	// Signer signs documents the application trusts (its CA is the whole
	// trust store); SignedPDF and SignedP7M use it.
	Signer *testpki.Cert
	CA     *testpki.CA

	certURL string // the certificate login listener (LoginOptions)
	// DBProxy stands between the application and PostgreSQL (Options.DBProxy).
	DBProxy    *testenv.Proxy
	stopWorker func()
}

// StartWorker starts a worker on the application's task queue, stopped
// when the test ends or by StopWorker.
func (e *Env) StartWorker() {
	e.T.Helper()
	a := e.App
	w := worker.New(a.Temporal, a.Config.TaskQueue, a.Activities(), a.Config.WorkflowCacheSize)
	if err := w.Start(); err != nil {
		e.T.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(w.Stop) }
	e.stopWorker = stop
	e.T.Cleanup(stop)
}

// StopWorker stops the worker StartWorker started (actions then wait).
func (e *Env) StopWorker() {
	if e.stopWorker != nil {
		e.stopWorker()
	}
}

// Options tune the application under test.
type Options struct {
	// Configure changes the configuration before anything starts.
	Configure func(*config.Config)
	// NoWorker leaves the worker stopped (for tests that start their own,
	// or StartWorker later).
	NoWorker bool
	// DBProxy puts a proxy between the application and PostgreSQL, so the
	// test can take the database away (Env.DBProxy.SetDown).
	DBProxy bool
	// Login turns on certificate and SPID/CIE logins (login.go).
	Login *LoginOptions
}

// Started, when set, is called with every Env New starts, before New
// returns: the web tests check the API traffic of each against the
// OpenAPI document with it.
var Started func(*Env)

// New starts the application for t; everything stops when t ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	te := testenv.Load(t)
	db := testenv.Database(t)
	ns := testenv.Namespace(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The application logs in as its own role (owns nothing); migrations
	// would run as the owner.
	cfg.DatabaseURL = db.AppURL
	cfg.MigrateDatabaseURL = db.URL
	var proxy *testenv.Proxy
	if opts.DBProxy {
		u, err := url.Parse(db.AppURL)
		if err != nil {
			t.Fatal(err)
		}
		proxy = testenv.NewProxy(t, u.Host)
		u.Host = proxy.Addr()
		cfg.DatabaseURL = u.String()
	}
	cfg.TemporalAddress = te.TemporalAddress
	cfg.TemporalNamespace = ns
	cfg.TaskQueue = "esenzioni-" + ns
	cfg.S3Endpoint = te.S3Endpoint
	cfg.S3AccessKey, cfg.S3SecretKey = te.S3AccessKey, te.S3SecretKey
	cfg.S3Bucket = "b-" + ns[len(ns)-8:]
	cfg.SMTPAddr = ""
	cfg.DemoData = false
	ca, err := testpki.NewCA("CA DI PROVA " + ns)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ca.NewSigner(testpki.SignerOptions{CommonName: "GIOVANNI VERDI", SerialNumber: "TINIT-VRDGNN66E04L219X"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.TrustStoreDir = t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg.TrustStoreDir, "ca.pem"), testpki.CertPEM(ca.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr = l.Addr().String()
	cfg.PublicURL = "http://" + cfg.HTTPAddr
	certListener := configureLogin(t, &cfg, opts.Login)
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := a.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, App: a, DB: db, Namespace: ns, URL: cfg.PublicURL, Signer: signer, CA: ca, DBProxy: proxy}
	e.Practices, e.Exemptions = a.Practices(), a.Exemptions()
	if !opts.NoWorker {
		e.StartWorker()
	}
	deps := a.WebDeps(log)
	deps.Practices, deps.Exemptions = e.Practices, e.Exemptions
	deps.OIDCHTTPClient = loginHTTPClient(opts.Login)
	e.Web, err = web.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Web.Serve(ctx, l)
	}()
	if certListener != nil {
		e.certURL = "https://" + certListener.Addr().String()
		go func() { _ = e.Web.ServeCertificateTLS(ctx, certListener) }()
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	if Started != nil {
		Started(e)
	}
	return e
}

// SignedPDF is a one-page PDF with text, PAdES-signed by the test signer.
func (e *Env) SignedPDF(text string) []byte {
	e.T.Helper()
	b, err := testsign.SignPAdES(signature.MinimalPDF(text), e.Signer)
	if err != nil {
		e.T.Fatal(err)
	}
	return b
}

// SignedP7M is text in a one-page PDF wrapped in a CAdES envelope.
func (e *Env) SignedP7M(text string) []byte {
	e.T.Helper()
	b, err := testpki.SignCAdES(signature.MinimalPDF(text), e.Signer)
	if err != nil {
		e.T.Fatal(err)
	}
	return b
}

// Store is the application's store.
func (e *Env) Store() *store.Store { return e.App.Store }

// Registry is the local registry adapter (to simulate outages).
func (e *Env) Registry() *registry.Local { return e.App.Registry }

// Codec is the payload codec.
func (e *Env) Codec() *codec.Codec { return e.App.Codec }

// Eventually polls cond until it holds or the timeout passes.
func (e *Env) Eventually(timeout time.Duration, what string, cond func() (bool, error)) {
	e.T.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	e.T.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
}
