// Package app connects the application to its dependencies (PostgreSQL,
// Temporal, S3, SMTP) from the configuration, for the web server, the worker
// and the command-line tools alike.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/adapters/attachments"
	"esenzioni/adapters/codec"
	"esenzioni/adapters/mail"
	"esenzioni/adapters/registry"
	"esenzioni/adapters/signature"
	"esenzioni/internal/config"
	"esenzioni/internal/metrics"
	"esenzioni/internal/requestid"
	"esenzioni/migrations"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/workflows/searchattr"
)

// App holds the open connections.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *bun.DB
	Store    *store.Store
	Codec    *codec.Codec
	Temporal client.Client
	S3       *minio.Client
	Registry *registry.Local
	Mailer   activities.Mailer
	// Attachments stores and serves signed documents.
	Attachments *attachments.Service
}

// Open connects to every dependency the configuration names and fails with
// a message naming the one that is missing.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	a := &App{Config: cfg, Log: log}
	var err error
	if a.Codec, err = codec.New(cfg.CodecKeyID, cfg.CodecKey); err != nil {
		return nil, err
	}
	if a.DB, err = store.Open(ctx, cfg.DatabaseURL, store.OpenOptions{Role: migrations.AppRole, AppName: "esenzioni"}); err != nil {
		return nil, err
	}
	a.DB.AddQueryHook(metrics.QueryHook{})
	metrics.RegisterDB(a.DB.DB, "esenzioni")
	a.Store = store.New(a.DB)
	if problems, err := store.PrivilegeProblems(ctx, a.DB); err != nil {
		log.Warn("postgresql: cannot check the privileges of DATABASE_URL", "error", err)
	} else {
		for _, p := range problems {
			log.Warn("postgresql: DATABASE_URL is not least privilege (see docs/SECURITY): " + p + "; it could alter the audit log")
		}
	}
	a.Registry = &registry.Local{DB: a.DB}
	if a.Temporal, err = DialTemporal(ctx, cfg, a.Codec, log); err != nil {
		a.Close()
		return nil, err
	}
	if a.S3, err = DialS3(ctx, cfg); err != nil {
		a.Close()
		return nil, err
	}
	if cfg.SMTPAddr != "" {
		a.Mailer = metrics.Mailer(&mail.SMTP{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom})
	}
	trust := signature.NewTrustStore()
	if cfg.TrustStoreDir != "" {
		if trust, err = signature.LoadTrustStore(cfg.TrustStoreDir); err != nil {
			a.Close()
			return nil, fmt.Errorf("trust store: %w", err)
		}
	}
	if trust.Len() == 0 {
		log.Warn("the trust store is empty: every signed document will be refused as untrusted; set TRUST_STORE_DIR (docs/TRUST_STORE.md)")
	}
	a.Attachments = &attachments.Service{Store: a.Store, S3: a.S3, Bucket: cfg.S3Bucket, Trust: trust, MaxBytes: cfg.MaxUploadBytes}
	return a, nil
}

// DialTemporal connects to the Temporal frontend with the encrypting data
// converter.
func DialTemporal(ctx context.Context, cfg config.Config, c *codec.Codec, log *slog.Logger) (client.Client, error) {
	if cfg.TemporalAddress == "" {
		return nil, errors.New("temporal: TEMPORAL_ADDRESS is not set")
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	mh, err := metrics.TemporalHandler()
	if err != nil {
		return nil, fmt.Errorf("temporal: metrics: %w", err)
	}
	dc := codec.Strict{Codec: c}.DataConverter()
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		// Payloads are encrypted, and unencrypted ones are refused by the
		// workflows; failure messages (refusals carry Italian text about a
		// practice) are encrypted too.
		DataConverter:    dc,
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}),
		Logger:           tlog.NewStructuredLogger(log.With("component", "temporal")),
		MetricsHandler:   mh,
		// The request ID travels in the calls' headers (not a payload of
		// the workflow: random, no personal data).
		ContextPropagators: []workflow.ContextPropagator{requestid.Propagator{}},
	}
	if err := securityOptions(cfg, &opts); err != nil {
		return nil, err
	}
	tc, err := client.DialContext(dctx, opts)
	if err != nil {
		return nil, fmt.Errorf("temporal: cannot connect to %s (namespace %s): %w", cfg.TemporalAddress, cfg.TemporalNamespace, err)
	}
	return tc, nil
}

// DialS3 connects to the S3 store and checks that it answers.
func DialS3(ctx context.Context, cfg config.Config) (*minio.Client, error) {
	if cfg.S3Endpoint == "" {
		return nil, errors.New("s3: S3_ENDPOINT is not set")
	}
	transport, err := minio.DefaultTransport(cfg.S3UseSSL)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	mc, err := minio.New(cfg.S3Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.S3AccessKey, cfg.S3SecretKey, ""),
		Secure:    cfg.S3UseSSL,
		Region:    cfg.S3Region,
		Transport: metrics.Transport(transport),
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return mc, nil
}

// RegisterSearchAttributes adds the app's search attributes to the namespace
// when missing, and makes its retention at least the configured one
// (idempotent).
func (a *App) RegisterSearchAttributes(ctx context.Context) error {
	if err := searchattr.Register(ctx, a.Temporal, a.Config.TemporalNamespace); err != nil {
		return err
	}
	return searchattr.EnsureRetention(ctx, a.Temporal, a.Config.TemporalNamespace, a.Config.Retention)
}

// Activities builds the activity implementations on the app's connections.
func (a *App) Activities() *activities.Activities {
	return &activities.Activities{
		Store: a.Store, Registry: a.Registry, Mailer: a.Mailer, PublicURL: a.Config.PublicURL, Attachments: a.Attachments,
		Log: a.Log.With("component", "activities"),
		Reconciler: func(ctx context.Context) (activities.ReconcileReport, error) {
			r := &service.Reconciler{Store: a.Store, Temporal: a.Temporal}
			return r.Run(ctx, service.Scope{OpenOnly: true})
		},
	}
}

// EnsureBucket creates the attachments bucket, with versioning, when it
// does not exist yet.
func (a *App) EnsureBucket(ctx context.Context) error {
	bucket := a.Config.S3Bucket
	ok, err := a.S3.BucketExists(ctx, bucket)
	if err != nil {
		return fmt.Errorf("s3: cannot reach %s: %w", a.Config.S3Endpoint, err)
	}
	if !ok {
		if err := a.S3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: a.Config.S3Region}); err != nil {
			if exists, err2 := a.S3.BucketExists(ctx, bucket); err2 != nil || !exists {
				return fmt.Errorf("s3: create bucket %s: %w", bucket, err)
			}
		}
	}
	// Versioning keeps overwritten or deleted objects recoverable.
	if err := a.S3.EnableVersioning(ctx, bucket); err != nil {
		return fmt.Errorf("s3: enable versioning on %s: %w", bucket, err)
	}
	return nil
}

// Close releases every connection.
func (a *App) Close() {
	if a.Temporal != nil {
		a.Temporal.Close()
	}
	if a.DB != nil {
		a.DB.Close()
	}
}
