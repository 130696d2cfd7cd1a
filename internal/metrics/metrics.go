// Package metrics is what web and worker export at /metrics in the
// Prometheus format: HTTP requests, database queries and pool, S3 and SMTP
// calls, the Temporal SDK's own metrics (through its MetricsHandler) and the
// domain's gauges read from the read model. No label ever carries personal
// data: routes are templates (/pratiche/:numero), ASLs are Ministry codes,
// the rest are fixed sets (states, methods, outcomes, reason codes,
// workflow and activity types).
//
// Every metric lives in one process-wide registry (Registry); the names are
// listed in deploy/prometheus/metrics_names.txt, which the alert rules and
// the Grafana dashboard are checked against.
package metrics

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uptrace/bun"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// Registry holds every metric of the process.
var Registry = prometheus.NewRegistry()

// Buckets of every latency histogram, in seconds: from a cached page (a few
// ms) to a registry call that times out.
var latencyBuckets = []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

var (
	// HTTPRequests counts answers by route template, method and status.
	HTTPRequests = newCounterVec("esenzioni_http_requests_total",
		"HTTP requests answered, by route template, method and status code.", "route", "method", "status")
	// HTTPDuration is the time to answer, by route template and method.
	HTTPDuration = newHistogramVec("esenzioni_http_request_duration_seconds",
		"Time to answer an HTTP request, by route template and method.", "route", "method")
	// DBQueryDuration is the time of each SQL statement, by operation.
	DBQueryDuration = newHistogramVec("esenzioni_db_query_duration_seconds",
		"Time of each SQL statement, by operation (SELECT, INSERT, UPDATE, DELETE, OTHER) and outcome.", "operation", "outcome")
	// S3Requests counts calls to the attachment store.
	S3Requests = newCounterVec("esenzioni_s3_requests_total",
		"Calls to the S3 attachment store, by HTTP method and outcome (ok, client_error, server_error, network_error).", "method", "outcome")
	// S3Duration is their latency.
	S3Duration = newHistogramVec("esenzioni_s3_request_duration_seconds",
		"Latency of calls to the S3 attachment store, by HTTP method.", "method")
	// SMTPSends counts emails handed to the SMTP server.
	SMTPSends = newCounterVec("esenzioni_smtp_sends_total",
		"Emails handed to the SMTP server, by outcome (ok, error).", "outcome")
	// SMTPDuration is the time of each send.
	SMTPDuration = newHistogramVec("esenzioni_smtp_send_duration_seconds",
		"Time to hand one email to the SMTP server.")
	// DocumentRefusals counts uploads refused by the document checks, by
	// the refusal's stable code (signature.untrusted, document.too_large...).
	DocumentRefusals = newCounterVec("esenzioni_document_refusals_total",
		"Uploaded documents refused by the signature and document checks, by reason code.", "reason")
	// DomainCollectErrors counts failed reads of the domain gauges.
	DomainCollectErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "esenzioni_domain_collect_errors_total",
		Help: "Failed reads of the read model for the domain gauges.",
	})
)

func newCounterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func newHistogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets}, labels)
}

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		HTTPRequests, HTTPDuration, DBQueryDuration, S3Requests, S3Duration,
		SMTPSends, SMTPDuration, DocumentRefusals, DomainCollectErrors,
	)
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

var (
	temporalOnce    sync.Once
	temporalHandler client.MetricsHandler
	temporalErr     error
)

// TemporalHandler is the Temporal SDK's MetricsHandler, exporting the SDK's
// metrics (temporal_workflow_task_execution_failed_total,
// temporal_activity_execution_latency_seconds, ...) into Registry through
// OpenTelemetry. One per process: every client shares it.
func TemporalHandler() (client.MetricsHandler, error) {
	temporalOnce.Do(func() {
		exporter, err := otelprom.New(
			otelprom.WithRegisterer(Registry),
			otelprom.WithoutScopeInfo(),
			otelprom.WithoutTargetInfo(),
		)
		if err != nil {
			temporalErr = err
			return
		}
		// The SDK's timers are histograms in seconds; OpenTelemetry's
		// default buckets are meant for milliseconds.
		view := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}})
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(view))
		temporalHandler = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
			Meter: provider.Meter("go.temporal.io/sdk"),
			// Real counters (exported with _total, for rate()), not the
			// up-down counters (gauges) of the default.
			UseMonotonicCounters: true,
			// A metric that cannot be recorded must not stop a worker.
			OnError: func(err error) { slog.Warn("temporal metrics", "error", err) },
		})
	})
	return temporalHandler, temporalErr
}

var dbStats sync.Map

// RegisterDB exports the pool statistics of db (go_sql_*, label db_name).
// A second pool with the same name is ignored.
func RegisterDB(db *sql.DB, name string) {
	if _, loaded := dbStats.LoadOrStore(name, true); loaded {
		return
	}
	if err := Registry.Register(collectors.NewDBStatsCollector(db, name)); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			panic(err)
		}
	}
}

// QueryHook times every SQL statement bun runs.
type QueryHook struct{}

var _ bun.QueryHook = QueryHook{}

// BeforeQuery does nothing: bun records the start time.
func (QueryHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery records the statement's duration.
func (QueryHook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	outcome := "ok"
	if e.Err != nil && !errors.Is(e.Err, sql.ErrNoRows) {
		outcome = "error"
	}
	DBQueryDuration.WithLabelValues(operation(e), outcome).Observe(time.Since(e.StartTime).Seconds())
}

func operation(e *bun.QueryEvent) string {
	op := e.Operation()
	if op == "" {
		op, _, _ = strings.Cut(strings.TrimSpace(e.Query), " ")
	}
	switch op = strings.ToUpper(op); op {
	case "SELECT", "INSERT", "UPDATE", "DELETE":
		return op
	case "WITH":
		return "SELECT"
	}
	return "OTHER"
}

// Transport wraps an HTTP transport (the S3 client's) with call counts and
// latencies by method and outcome.
func Transport(next http.RoundTripper) http.RoundTripper {
	return roundTripper{next}
}

type roundTripper struct{ next http.RoundTripper }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := rt.next.RoundTrip(req)
	method := req.Method
	switch method {
	case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodHead, http.MethodDelete:
	default:
		method = "OTHER"
	}
	S3Duration.WithLabelValues(method).Observe(time.Since(start).Seconds())
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "network_error"
	case resp.StatusCode >= 500:
		outcome = "server_error"
	case resp.StatusCode >= 400:
		// 404 on a HEAD is how "does it exist?" is answered.
		outcome = "client_error"
	}
	S3Requests.WithLabelValues(method, outcome).Inc()
	return resp, err
}

// Sender is what sends reminder emails (activities.Mailer).
type Sender interface {
	Send(ctx context.Context, to, subject, body, messageID string) error
}

// Mailer wraps a Sender with send counts and latencies.
func Mailer(next Sender) Sender { return mailer{next} }

type mailer struct{ next Sender }

func (m mailer) Send(ctx context.Context, to, subject, body, messageID string) error {
	start := time.Now()
	err := m.next.Send(ctx, to, subject, body, messageID)
	SMTPDuration.WithLabelValues().Observe(time.Since(start).Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	SMTPSends.WithLabelValues(outcome).Inc()
	return err
}
