package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"esenzioni/adapters/attachments"
	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/metrics"
	"esenzioni/store"
)

func families(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the sample of family name whose labels
// include want, and whether there is one.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// The SDK's metrics come out under the names the alert rules use: counters
// with _total, timers as histograms in seconds with our buckets.
func TestTemporalHandlerNames(t *testing.T) {
	h, err := metrics.TemporalHandler()
	require.NoError(t, err)
	tagged := h.WithTags(map[string]string{"workflow_type": "PracticeWorkflow", "failure_reason": "NonDeterminismError", "task_queue": "q"})
	tagged.Counter("temporal_workflow_task_execution_failed").Inc(2)
	tagged.Timer("temporal_workflow_task_schedule_to_start_latency").Record(300 * time.Millisecond)
	tagged.Gauge("temporal_sticky_cache_size").Update(7)
	mfs := families(t, metrics.Registry)
	v, ok := value(mfs, "temporal_workflow_task_execution_failed_total", map[string]string{"failure_reason": "NonDeterminismError", "workflow_type": "PracticeWorkflow"})
	require.True(t, ok, "temporal_workflow_task_execution_failed_total missing")
	require.Equal(t, 2.0, v)
	hist := mfs["temporal_workflow_task_schedule_to_start_latency_seconds"]
	require.NotNil(t, hist, "timer not exported in seconds")
	var le []float64
	for _, b := range hist.GetMetric()[0].GetHistogram().GetBucket() {
		le = append(le, b.GetUpperBound())
	}
	require.Contains(t, le, 0.5, "seconds buckets, not OpenTelemetry's millisecond defaults")
	v, ok = value(mfs, "temporal_sticky_cache_size", nil)
	require.True(t, ok)
	require.Equal(t, 7.0, v)

	// Every temporal_* name the rules and the dashboard may use is one the
	// handler produces for an SDK metric of that base name.
	for _, name := range namesFile(t) {
		base, ok := strings.CutPrefix(name, "temporal_")
		if !ok {
			continue
		}
		switch {
		case strings.HasSuffix(base, "_total"):
			h.Counter("temporal_" + strings.TrimSuffix(base, "_total")).Inc(1)
		case strings.HasSuffix(base, "_seconds"):
			h.Timer("temporal_" + strings.TrimSuffix(base, "_seconds")).Record(time.Millisecond)
		default:
			h.Gauge("temporal_" + base).Update(1)
		}
		require.Contains(t, families(t, metrics.Registry), name)
	}
}

func namesFile(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../deploy/prometheus/metrics_names.txt")
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

type failingRT struct{ status int }

func (f failingRT) RoundTrip(*http.Request) (*http.Response, error) {
	if f.status == 0 {
		return nil, errors.New("connection refused")
	}
	return &http.Response{StatusCode: f.status, Body: http.NoBody}, nil
}

func TestTransportAndMailer(t *testing.T) {
	before := testutil.ToFloat64(metrics.S3Requests.WithLabelValues("PUT", "server_error"))
	req, _ := http.NewRequest(http.MethodPut, "http://s3/b/k", nil)
	_, _ = metrics.Transport(failingRT{503}).RoundTrip(req)
	require.Equal(t, before+1, testutil.ToFloat64(metrics.S3Requests.WithLabelValues("PUT", "server_error")))
	before = testutil.ToFloat64(metrics.S3Requests.WithLabelValues("GET", "network_error"))
	req, _ = http.NewRequest(http.MethodGet, "http://s3/b/k", nil)
	_, err := metrics.Transport(failingRT{}).RoundTrip(req)
	require.Error(t, err)
	require.Equal(t, before+1, testutil.ToFloat64(metrics.S3Requests.WithLabelValues("GET", "network_error")))

	okBefore := testutil.ToFloat64(metrics.SMTPSends.WithLabelValues("ok"))
	errBefore := testutil.ToFloat64(metrics.SMTPSends.WithLabelValues("error"))
	m := metrics.Mailer(senderFunc(func(to string) error {
		if to == "" {
			return errors.New("no recipient")
		}
		return nil
	}))
	require.NoError(t, m.Send(context.Background(), "a@b.it", "s", "b", "id"))
	require.Error(t, m.Send(context.Background(), "", "s", "b", "id"))
	require.Equal(t, okBefore+1, testutil.ToFloat64(metrics.SMTPSends.WithLabelValues("ok")))
	require.Equal(t, errBefore+1, testutil.ToFloat64(metrics.SMTPSends.WithLabelValues("error")))
}

type senderFunc func(to string) error

func (f senderFunc) Send(_ context.Context, to, _, _, _ string) error { return f(to) }

// The domain gauges count the read model: practices by ASL and state, the
// oldest one still to do, exemptions waiting for the registry, unsent
// reminders.
func TestDomainCollector(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	to3 := e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	cn2 := e.Person("PAOLO", "NERI", apptest.ASLCN2, "")
	first := e.Submit(to3, "044", "2960")
	e.Submit(to3, "042", "5771")
	e.Submit(cn2, "044", "2960")
	op := e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	e.Act(first, practice.Take, access.Actor{FiscalCode: op.FiscalCode, Role: access.OperatoreASL, ASL: apptest.ASLTO3})
	// The first practice waits for an hour already.
	_, err := e.App.DB.ExecContext(ctx, `UPDATE practice SET created_at = now() - interval '1 hour' WHERE number = ?`, first)
	require.NoError(t, err)
	// An exemption whose version the registry has not had for two hours, and
	// a reminder stuck for an hour (and one being sent right now).
	_, err = e.App.DB.ExecContext(ctx, `INSERT INTO exemption (beneficiary_fc, beneficiary_last_name, beneficiary_first_name,
		asl_code, exemption_code, diagnosis_code, issued_on, state, source, publication_state, updated_at)
		VALUES (?, 'ROSSI', 'MARIO', ?, '044', '2960', current_date, 'VALIDA', 'REGISTRO', 'PENDING', now() - interval '2 hours')`,
		to3.FiscalCode, apptest.ASLTO3)
	require.NoError(t, err)
	_, err = e.App.DB.ExecContext(ctx, `INSERT INTO email_outbox (dedupe_key, recipient, subject, state, created_at) VALUES
		('a', 'x@y.it', 's', 'SENDING', now() - interval '1 hour'), ('b', 'x@y.it', 's', 'SENDING', now()),
		('c', 'x@y.it', 's', 'SENT', now() - interval '1 hour')`)
	require.NoError(t, err)

	reg := prometheus.NewRegistry()
	reg.MustRegister(&metrics.DomainCollector{DB: e.App.DB, TTL: time.Nanosecond})
	mfs := families(t, reg)
	aslTO3, aslCN2 := strings.TrimSpace(apptest.ASLTO3), strings.TrimSpace(apptest.ASLCN2)
	for _, c := range []struct {
		asl, state string
		want       float64
	}{{aslTO3, "IN_LAVORAZIONE", 1}, {aslTO3, "INVIATA", 1}, {aslCN2, "INVIATA", 1}} {
		v, ok := value(mfs, "esenzioni_practices", map[string]string{"asl": c.asl, "state": c.state})
		require.True(t, ok, "%s %s", c.asl, c.state)
		require.Equal(t, c.want, v, "%s %s", c.asl, c.state)
	}
	age, ok := value(mfs, "esenzioni_practice_oldest_waiting_seconds", map[string]string{"asl": aslTO3})
	require.True(t, ok)
	require.InDelta(t, 3600, age, 120)
	age, _ = value(mfs, "esenzioni_practice_oldest_waiting_seconds", map[string]string{"asl": aslCN2})
	require.Less(t, age, 600.0)
	pending, _ := value(mfs, "esenzioni_registry_publications_pending", nil)
	require.Equal(t, 1.0, pending)
	oldest, _ := value(mfs, "esenzioni_registry_publication_oldest_pending_seconds", nil)
	require.InDelta(t, 7200, oldest, 120)
	failed, _ := value(mfs, "esenzioni_reminders_failed", nil)
	require.Equal(t, 1.0, failed)

	// A database that stops answering: the last reading stays, the error
	// is counted.
	errs := testutil.ToFloat64(metrics.DomainCollectErrors)
	db, err := store.Open(ctx, e.DB.URL, store.OpenOptions{})
	require.NoError(t, err)
	c := &metrics.DomainCollector{DB: db, TTL: time.Nanosecond}
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(c)
	families(t, reg2)
	require.NoError(t, db.Close())
	mfs = families(t, reg2)
	require.Equal(t, errs+1, testutil.ToFloat64(metrics.DomainCollectErrors))
	failed, ok = value(mfs, "esenzioni_reminders_failed", nil)
	require.True(t, ok)
	require.Equal(t, 1.0, failed)
}

// Everything deploy/prometheus/metrics_names.txt promises is exported by a
// running application: the esenzioni_* and go_sql_* families once their
// paths ran, the SDK's from a real worker (failure counters aside: those
// come only with failures, TestTemporalHandlerNames checks their names).
func TestExportedNames(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	metrics.RegisterDomain(e.App.DB, time.Second)
	p := e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	e.Submit(p, "044", "2960")
	resp, err := http.Get(e.URL + "/login")
	require.NoError(t, err)
	resp.Body.Close()
	_, err = e.App.Attachments.Put(ctx, strings.NewReader(""), attachments.Upload{FileName: "vuoto.pdf", Role: store.RoleCertificate})
	var refused *attachments.Error
	require.ErrorAs(t, err, &refused)
	_, err = e.App.S3.BucketExists(ctx, e.App.Config.S3Bucket)
	require.NoError(t, err)
	_ = metrics.Mailer(senderFunc(func(string) error { return nil })).Send(ctx, "a@b.it", "s", "b", "id")

	onFailureOnly := map[string]bool{
		"temporal_workflow_task_execution_failed_total": true, "temporal_activity_execution_failed_total": true,
		"temporal_request_failure_total": true, "temporal_workflow_completed_total": true, "up": true,
		// Regular activities: whether one has run yet in this short
		// scenario depends on the workflows' timing.
		"temporal_activity_execution_latency_seconds": true, "temporal_activity_schedule_to_start_latency_seconds": true,
	}
	var missing []string
	e.Eventually(30*time.Second, "every promised metric family", func() (bool, error) {
		mfs := families(t, metrics.Registry)
		missing = missing[:0]
		for _, name := range namesFile(t) {
			if !onFailureOnly[name] && mfs[name] == nil {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0, errors.New(strings.Join(missing, ", "))
	})
	v, ok := value(families(t, metrics.Registry), "esenzioni_document_refusals_total", map[string]string{"reason": refused.Code})
	require.True(t, ok)
	require.GreaterOrEqual(t, v, 1.0)
}
