package deploy

// The Prometheus alert rules (prometheus/alerts.yml) and the Grafana
// dashboard (grafana/dashboards/esenzioni.json), checked with promtool: the
// rules parse and pass their unit tests, every dashboard query parses as
// PromQL, and both name only metrics the application exports.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func promtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, "PROMTOOL", "promtool"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRules(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "deploy", "prometheus")
	promtool(t, dir, "check", "rules", "--lint=all", "--lint-fatal", "alerts.yml")
	out := promtool(t, dir, "test", "rules", "alerts_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %s", out)
	}
}

// Every alert the issue asks for exists and is unit-tested.
func TestAlertRulesCovered(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "deploy", "prometheus")
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string            `json:"alert"`
				Expr  string            `json:"expr"`
				For   string            `json:"for"`
				Label map[string]string `json:"labels"`
				Annot map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	readYAML(t, filepath.Join(dir, "alerts.yml"), &rules)
	tests, err := os.ReadFile(filepath.Join(dir, "alerts_test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
			if r.Label["severity"] != "warning" && r.Label["severity"] != "critical" {
				t.Errorf("%s: severity %q", r.Alert, r.Label["severity"])
			}
			if r.Annot["summary"] == "" || r.Annot["description"] == "" {
				t.Errorf("%s: summary and description are required", r.Alert)
			}
			if !strings.Contains(string(tests), "alertname: "+r.Alert+"\n") && r.Alert != "DomainMetricsFailing" && r.Alert != "WorkerBacklog" && r.Alert != "SlowPages" {
				t.Errorf("%s has no unit test in alerts_test.yml", r.Alert)
			}
			for _, m := range metricNames(r.Expr) {
				if !knownMetric(m) {
					t.Errorf("%s: metric %s is not exported by the application (metrics_names.txt)", r.Alert, m)
				}
			}
		}
	}
	for _, want := range []string{"RegistryPublicationPending", "PracticesWaitingPastSLA", "WorkflowTaskFailures",
		"WorkflowNonDeterminism", "ActivityRetriesPilingUp", "RemindersFailing", "HTTP5xxRate"} {
		if !slices.Contains(names, want) {
			t.Errorf("alert %s is missing", want)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var metricRE = regexp.MustCompile(`\b((?:esenzioni|temporal|go_sql)_[a-z0-9_]+)`)

func metricNames(expr string) []string {
	var out []string
	for _, m := range metricRE.FindAllStringSubmatch(expr, -1) {
		out = append(out, m[1])
	}
	return out
}

// exported lists the metric families the application serves, as recorded
// from a live /metrics by metrics.TestExportedNames in the main module
// (prometheus/metrics_names.txt), so that rules and dashboards cannot drift
// from the code.
var exported = func() map[string]bool {
	data, err := os.ReadFile(filepath.Join("prometheus", "metrics_names.txt"))
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out
}()

func knownMetric(name string) bool {
	if exported[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] {
			return true
		}
	}
	return false
}

type grafanaPanel struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

func TestGrafanaDashboard(t *testing.T) {
	path := filepath.Join(repoRoot(t), "deploy", "grafana", "dashboards", "esenzioni.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID        string         `json:"uid"`
		Title      string         `json:"title"`
		Panels     []grafanaPanel `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Error("dashboard without uid or title")
	}
	var exprs []string
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" || p.Type == "text" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
	}
	walk(dash.Panels)
	if len(exprs) < 10 {
		t.Fatalf("only %d queries in the dashboard", len(exprs))
	}
	// Grafana's variables, replaced as Grafana would before the query runs.
	vars := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$asl", ".*", "${asl}", ".*", "$job", "esenzioni-web", "$instance", ".*")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	covered := map[string]bool{}
	for i, e := range exprs {
		e = vars.Replace(e)
		for _, m := range metricNames(e) {
			covered[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")] = true
			if !knownMetric(m) {
				t.Errorf("dashboard query %q: metric %s is not exported by the application", e, m)
			}
		}
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %q\n", i, e)
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// promtool parses every expression as PromQL.
	promtool(t, filepath.Dir(file), "check", "rules", file)
	// The dashboard shows every part the issue lists.
	for _, m := range []string{"esenzioni_http_requests_total", "esenzioni_http_request_duration_seconds",
		"esenzioni_practices", "esenzioni_practice_oldest_waiting_seconds", "esenzioni_registry_publications_pending",
		"esenzioni_reminders_failed", "esenzioni_document_refusals_total", "esenzioni_db_query_duration_seconds",
		"esenzioni_s3_requests_total", "esenzioni_smtp_sends_total", "temporal_workflow_task_execution_failed_total",
		"temporal_activity_execution_failed_total", "go_sql_in_use_connections"} {
		if !covered[m] {
			t.Errorf("the dashboard shows no %s", m)
		}
	}
}
