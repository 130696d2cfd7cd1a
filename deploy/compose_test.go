// Package deploy holds the configuration files docker-compose.yml mounts into
// its containers. This test validates docker-compose.yml and the Dockerfile
// without a Docker engine: it loads the compose file with compose-go (schema
// validation, YAML anchors and merges, interpolation of ${VAR:-default} with an
// empty environment) and checks the properties the stack relies on.
package deploy

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"esenzioni/internal/config"
	"esenzioni/workflows/searchattr"
)

const (
	healthy   = types.ServiceConditionHealthy               // "service_healthy"
	completed = types.ServiceConditionCompletedSuccessfully // "service_completed_successfully"
)

// longRunning services must stay up; oneShots must run to completion.
var (
	longRunning = []string{"postgres", "temporal", "temporal-ui", "minio", "mailpit", "web", "worker", "proxy", "prometheus", "grafana"}
	oneShots    = []string{"temporal-admin-tools", "minio-init", "migrate"}
	appServices = []string{"migrate", "web", "worker"} // built from the repository's Dockerfile
)

// appEnvKeys is every variable web and worker must receive.
var appEnvKeys = []string{
	"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "TEMPORAL_UI_URL",
	"S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "S3_USE_SSL",
	"SMTP_ADDR", "SMTP_FROM", "HTTP_ADDR", "PUBLIC_URL", "ESENZIONI_CODEC_KEY", "ESENZIONI_CODEC_KEY_ID",
	"TRUST_STORE_DIR", "REMINDER_OFFSETS", "ESENZIONI_DEMO_DATA", "METRICS_ADDR", "LOG_FORMAT", "TRUSTED_PROXIES",
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadProject loads ../docker-compose.yml fully resolved. The environment is
// empty on purpose, so the result does not depend on the caller's shell and
// every ${VAR:-default} takes its default.
func loadProject(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	file := filepath.Join(root, "docker-compose.yml")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("compose file: %v", err)
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: types.Mapping{},
	})
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	return project
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("service %q is missing", name)
	}
	return s
}

// env returns a service's environment variable, failing when it is unset.
func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	if !ok || v == nil {
		t.Fatalf("service %s: environment variable %s is not set", s.Name, key)
	}
	return *v
}

func TestServices(t *testing.T) {
	p := loadProject(t)
	want := append(append([]string{}, longRunning...), oneShots...)
	slices.Sort(want)
	if got := p.ServiceNames(); !slices.Equal(got, want) {
		t.Errorf("services = %v, want %v", got, want)
	}
	if len(p.DisabledServices) > 0 {
		t.Errorf("services behind profiles would not start by default: %v", p.ServiceNames())
	}
	if p.Name != "esenzioni" {
		t.Errorf("project name = %q, want esenzioni", p.Name)
	}
}

func TestNoTopLevelVersion(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^version\s*:`).Match(data) {
		t.Error("docker-compose.yml has a top-level version: the compose specification dropped it")
	}
}

func TestSharedEnvironmentAnchor(t *testing.T) {
	p := loadProject(t)
	if _, ok := p.Extensions["x-app-env"]; !ok {
		t.Error("the x-app-env extension with the shared app environment is missing")
	}
	// web, worker and migrate must get the very same configuration.
	web := service(t, p, "web").Environment
	for _, name := range []string{"worker", "migrate"} {
		other := service(t, p, name).Environment
		for _, key := range appEnvKeys {
			if a, b := web[key], other[key]; a == nil || b == nil || *a != *b {
				t.Errorf("%s differs between web and %s", key, name)
			}
		}
	}
}

// imageTag splits "repo/name:tag@digest" and returns the tag.
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, _ := strings.Cut(name, ":")
	return tag
}

func checkPinned(t *testing.T, where, ref string) {
	t.Helper()
	tag := imageTag(ref)
	switch {
	case ref == "":
		t.Errorf("%s: no image", where)
	case tag == "":
		t.Errorf("%s: image %q has no tag", where, ref)
	case tag == "latest" || strings.HasPrefix(tag, "latest-"):
		t.Errorf("%s: image %q uses a latest tag", where, ref)
	case !regexp.MustCompile(`\d`).MatchString(tag) && !strings.HasPrefix(ref, "esenzioni:"):
		// A codename (bookworm-slim) is a pinned Debian release; anything
		// else without a version number is not pinned.
		if !strings.Contains(tag, "bookworm") {
			t.Errorf("%s: image %q has no version in its tag", where, ref)
		}
	}
}

func TestImagesPinned(t *testing.T) {
	p := loadProject(t)
	for name, s := range p.Services {
		checkPinned(t, "service "+name, s.Image)
	}
	// Images whose major version the stack depends on.
	for name, prefix := range map[string]string{
		"postgres":             "postgres:15.",
		"temporal":             "temporalio/auto-setup:1.29.",
		"temporal-admin-tools": "temporalio/admin-tools:1.29.",
		"temporal-ui":          "temporalio/ui:2.",
		"minio":                "minio/minio:RELEASE.",
		"minio-init":           "minio/minio:RELEASE.",
		"mailpit":              "axllent/mailpit:v1.",
		"proxy":                "nginx:1.",
		"prometheus":           "prom/prometheus:v3.",
		"grafana":              "grafana/grafana:12.",
	} {
		if img := service(t, p, name).Image; !strings.HasPrefix(img, prefix) {
			t.Errorf("service %s: image %q, want %s*", name, img, prefix)
		}
	}
	if a, b := service(t, p, "minio").Image, service(t, p, "minio-init").Image; a != b {
		t.Errorf("minio-init (%s) must use the minio image (%s), which ships mc", b, a)
	}
	temporalVersion := strings.TrimPrefix(service(t, p, "temporal").Image, "temporalio/auto-setup:")
	if tools := service(t, p, "temporal-admin-tools").Image; !strings.HasPrefix(tools, "temporalio/admin-tools:"+temporalVersion+"-") {
		t.Errorf("temporal-admin-tools image %q does not match the server version %s", tools, temporalVersion)
	}
}

func TestHealthchecksAndRestart(t *testing.T) {
	p := loadProject(t)
	for _, name := range longRunning {
		s := service(t, p, name)
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 || (hc.Test[0] != "CMD" && hc.Test[0] != "CMD-SHELL") {
			t.Errorf("service %s: no usable healthcheck (%+v)", name, hc)
			continue
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("service %s: healthcheck without interval, timeout or retries", name)
		}
		if s.Restart != types.RestartPolicyUnlessStopped && s.Restart != types.RestartPolicyAlways {
			t.Errorf("service %s: restart = %q, want unless-stopped or always", name, s.Restart)
		}
	}
	for _, name := range oneShots {
		// A one-shot restarted by Docker would never count as completed.
		if s := service(t, p, name); s.Restart != types.RestartPolicyNo {
			t.Errorf("one-shot %s: restart = %q, want \"no\"", name, s.Restart)
		}
	}

	// The commands must be the ones these images actually ship.
	for name, want := range map[string]string{
		"postgres":    "pg_isready -h 127.0.0.1",
		"temporal":    "temporal operator cluster health --address 127.0.0.1:7233",
		"temporal-ui": "wget -q -O /dev/null http://127.0.0.1:8080/healthz",
		"minio":       "mc ready local",
		"mailpit":     "/mailpit readyz",
		"web":         "/esenzioni healthcheck http://localhost:8080/healthz",
		"worker":      "/esenzioni healthcheck http://localhost:9090/healthz",
		"proxy":       "wget -q -O /dev/null http://127.0.0.1:8080/nginx-health",
		"prometheus":  "wget -q -O /dev/null http://127.0.0.1:9090/-/ready",
		"grafana":     "wget -q -O /dev/null http://127.0.0.1:3000/api/health",
	} {
		hc := service(t, p, name).HealthCheck
		if hc == nil || !strings.Contains(strings.Join(hc.Test[1:], " "), want) {
			t.Errorf("service %s: healthcheck should run %q", name, want)
		}
	}
	// The image's /healthz check is meaningless for these.
	if hc := service(t, p, "worker").HealthCheck; hc != nil && strings.Contains(strings.Join(hc.Test, " "), "8080") {
		t.Error("worker: healthcheck probes the web port, but the worker serves no pages")
	}
	if hc := service(t, p, "migrate").HealthCheck; hc == nil || !hc.Disable {
		t.Error("migrate: the image healthcheck should be disabled for the one-shot")
	}
	// The server binds the container IP unless told otherwise, and the
	// healthcheck probes 127.0.0.1.
	if got := env(t, service(t, p, "temporal"), "BIND_ON_IP"); got != "0.0.0.0" {
		t.Errorf("temporal: BIND_ON_IP = %q, want 0.0.0.0", got)
	}
}

func TestPorts(t *testing.T) {
	p := loadProject(t)
	want := map[string][]string{
		"proxy":       {"8080:8080"},
		"temporal-ui": {"8233:8080"},
		"prometheus":  {"9090:9090"},
		"grafana":     {"3000:3000"},
		"minio":       {"9000:9000", "9001:9001"},
		"mailpit":     {"8025:8025", "1025:1025"},
	}
	for name, s := range p.Services {
		var got []string
		for _, port := range s.Ports {
			got = append(got, port.Published+":"+strconv.FormatUint(uint64(port.Target), 10))
		}
		slices.Sort(got)
		w := slices.Clone(want[name])
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("service %s publishes %v, want %v", name, got, w)
		}
	}
}

// hostPort checks that addr is "service:port" for an existing service.
func hostPort(t *testing.T, p *types.Project, where, addr, wantHost, wantPort string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: %q is not host:port: %v", where, addr, err)
		return
	}
	if host != wantHost || port != wantPort {
		t.Errorf("%s = %q, want %s:%s", where, addr, wantHost, wantPort)
	}
	if _, ok := p.Services[host]; !ok {
		t.Errorf("%s: host %q is not a compose service", where, host)
	}
}

func TestAppEnvironment(t *testing.T) {
	p := loadProject(t)
	pg := service(t, p, "postgres")
	minio := service(t, p, "minio")
	for _, name := range []string{"web", "worker"} {
		s := service(t, p, name)
		for _, key := range appEnvKeys {
			env(t, s, key)
		}

		db, err := url.Parse(env(t, s, "DATABASE_URL"))
		if err != nil {
			t.Fatalf("%s: DATABASE_URL: %v", name, err)
		}
		hostPort(t, p, name+" DATABASE_URL host", db.Host, "postgres", "5432")
		if db.Scheme != "postgres" && db.Scheme != "postgresql" {
			t.Errorf("%s: DATABASE_URL scheme %q", name, db.Scheme)
		}
		if db.Path != "/esenzioni" || db.User.Username() != "esenzioni_app" {
			t.Errorf("%s: DATABASE_URL should use database esenzioni and the role esenzioni_app (least privilege), got %s", name, db.Redacted())
		}
		if pw, _ := db.User.Password(); pw != env(t, pg, "ESENZIONI_APP_DB_PASSWORD") {
			t.Errorf("%s: DATABASE_URL password differs from the one the postgres init script sets", name)
		}
		if db.Query().Get("sslmode") != "disable" {
			t.Errorf("%s: DATABASE_URL should set sslmode=disable (postgres runs without TLS)", name)
		}

		hostPort(t, p, name+" TEMPORAL_ADDRESS", env(t, s, "TEMPORAL_ADDRESS"), "temporal", "7233")
		hostPort(t, p, name+" S3_ENDPOINT", env(t, s, "S3_ENDPOINT"), "minio", "9000")
		hostPort(t, p, name+" SMTP_ADDR", env(t, s, "SMTP_ADDR"), "mailpit", "1025")
		if got := env(t, s, "HTTP_ADDR"); got != "0.0.0.0:8080" {
			t.Errorf("%s: HTTP_ADDR = %q, want 0.0.0.0:8080", name, got)
		}
		if env(t, s, "S3_ACCESS_KEY") != env(t, minio, "MINIO_ROOT_USER") ||
			env(t, s, "S3_SECRET_KEY") != env(t, minio, "MINIO_ROOT_PASSWORD") {
			t.Errorf("%s: S3 credentials differ from MinIO's", name)
		}
		if got, want := env(t, s, "S3_BUCKET"), env(t, service(t, p, "minio-init"), "S3_BUCKET"); got != want {
			t.Errorf("%s: S3_BUCKET %q, but minio-init creates %q", name, got, want)
		}
		if env(t, s, "TEMPORAL_NAMESPACE") != env(t, service(t, p, "temporal"), "DEFAULT_NAMESPACE") {
			t.Errorf("%s: TEMPORAL_NAMESPACE is not the namespace auto-setup creates", name)
		}
		if key, err := base64.StdEncoding.DecodeString(env(t, s, "ESENZIONI_CODEC_KEY")); err != nil || len(key) != 32 {
			t.Errorf("%s: ESENZIONI_CODEC_KEY is not base64 of 32 bytes", name)
		}
		// Browser-facing URLs must match the published ports.
		if got := env(t, s, "PUBLIC_URL"); got != "http://localhost:8080" {
			t.Errorf("%s: PUBLIC_URL = %q, want http://localhost:8080", name, got)
		}
		if got := env(t, s, "TEMPORAL_UI_URL"); got != "http://localhost:8233" {
			t.Errorf("%s: TEMPORAL_UI_URL = %q, want http://localhost:8233", name, got)
		}

		// The application's own parser must accept the whole environment.
		t.Run(name+"/config.Load", func(t *testing.T) {
			for _, key := range appEnvKeys {
				t.Setenv(key, env(t, s, key))
			}
			c, err := config.Load()
			if err != nil {
				t.Fatalf("config.Load with the %s environment: %v", name, err)
			}
			if !c.DemoData || c.S3UseSSL || c.SMTPAddr == "" {
				t.Errorf("unexpected configuration: demo=%v ssl=%v smtp=%q", c.DemoData, c.S3UseSSL, c.SMTPAddr)
			}
		})
	}

	ui := service(t, p, "temporal-ui")
	hostPort(t, p, "temporal-ui TEMPORAL_ADDRESS", env(t, ui, "TEMPORAL_ADDRESS"), "temporal", "7233")
	web := service(t, p, "web")
	if got, want := env(t, ui, "TEMPORAL_CODEC_ENDPOINT"), env(t, web, "PUBLIC_URL")+"/codec"; got != want {
		t.Errorf("temporal-ui: TEMPORAL_CODEC_ENDPOINT = %q, want %q (the codec endpoint as browsers see it)", got, want)
	}
	if origins := strings.Split(env(t, ui, "TEMPORAL_CORS_ORIGINS"), ","); !slices.Contains(origins, env(t, web, "TEMPORAL_UI_URL")) {
		t.Errorf("temporal-ui: TEMPORAL_CORS_ORIGINS %v does not include the UI's own origin %s", origins, env(t, web, "TEMPORAL_UI_URL"))
	}

	temporal := service(t, p, "temporal")
	for key, want := range map[string]string{
		"DB":                "postgres12",
		"DB_PORT":           "5432",
		"POSTGRES_SEEDS":    "postgres",
		"POSTGRES_USER":     "temporal",
		"DBNAME":            "temporal",
		"VISIBILITY_DBNAME": "temporal_visibility",
		"SKIP_DB_CREATE":    "true",
	} {
		if got := env(t, temporal, key); got != want {
			t.Errorf("temporal: %s = %q, want %q", key, got, want)
		}
	}
	if env(t, temporal, "POSTGRES_PWD") != env(t, pg, "TEMPORAL_DB_PASSWORD") {
		t.Error("temporal: POSTGRES_PWD differs from the password the postgres init script sets")
	}
	// The dynamic config file named by the server must be the mounted one.
	dyn := env(t, temporal, "DYNAMIC_CONFIG_FILE_PATH")
	if !mountsFile(t, temporal, filepath.Join("/etc/temporal", dyn)) {
		t.Errorf("temporal: DYNAMIC_CONFIG_FILE_PATH %s is not provided by a mounted file", dyn)
	}
	hostPort(t, p, "temporal-admin-tools TEMPORAL_ADDRESS", env(t, service(t, p, "temporal-admin-tools"), "TEMPORAL_ADDRESS"), "temporal", "7233")
}

// mountsFile reports whether one of s's bind mounts provides containerPath
// and the file exists in the repository.
func mountsFile(t *testing.T, s types.ServiceConfig, containerPath string) bool {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		rel, err := filepath.Rel(v.Target, containerPath)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if _, err := os.Stat(filepath.Join(v.Source, rel)); err == nil {
			return true
		}
	}
	return false
}

func TestDependsOn(t *testing.T) {
	p := loadProject(t)
	appDeps := map[string]string{
		"postgres": healthy,
		"temporal": healthy,
		"minio":    healthy,
		"migrate":  completed,
	}
	want := map[string]map[string]string{
		"postgres":             {},
		"minio":                {},
		"mailpit":              {},
		"temporal":             {"postgres": healthy},
		"temporal-admin-tools": {"temporal": healthy},
		"temporal-ui":          {"temporal": healthy},
		"minio-init":           {"minio": healthy},
		"migrate":              {"postgres": healthy, "temporal-admin-tools": completed, "minio-init": completed},
		"web":                  appDeps,
		"worker":               withEntry(appDeps, "mailpit", healthy),
		"proxy":                {"web": healthy},
		"prometheus":           {},
		"grafana":              {"prometheus": healthy},
	}
	for name, deps := range want {
		got := map[string]string{}
		for dep, d := range service(t, p, name).DependsOn {
			got[dep] = d.Condition
			if !d.Required {
				t.Errorf("%s -> %s: dependency is not required", name, dep)
			}
		}
		for dep, cond := range deps {
			if got[dep] != cond {
				t.Errorf("%s -> %s: condition %q, want %q", name, dep, got[dep], cond)
			}
		}
		for dep := range got {
			if _, ok := deps[dep]; !ok {
				t.Errorf("%s -> %s: unexpected dependency", name, dep)
			}
		}
	}
	// Generic rule: wait for health on servers, for exit 0 on one-shots.
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			wantCond := healthy
			if slices.Contains(oneShots, dep) {
				wantCond = completed
			}
			if d.Condition != wantCond {
				t.Errorf("%s -> %s: condition %q, want %q", name, dep, d.Condition, wantCond)
			}
		}
	}
}

func withEntry(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func TestVolumes(t *testing.T) {
	p := loadProject(t)
	want := map[string]string{ // named volume -> service:mount point
		"postgres-data":   "postgres:/var/lib/postgresql/data",
		"minio-data":      "minio:/data",
		"prometheus-data": "prometheus:/prometheus",
		"grafana-data":    "grafana:/var/lib/grafana",
	}
	for vol := range want {
		if _, ok := p.Volumes[vol]; !ok {
			t.Errorf("named volume %q is not declared", vol)
		}
	}
	used := map[string]bool{}
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("service %s mounts undeclared volume %q", name, v.Source)
				}
				used[v.Source] = true
				if w, ok := want[v.Source]; ok && w != name+":"+v.Target {
					t.Errorf("volume %s is mounted at %s:%s, want %s", v.Source, name, v.Target, w)
				}
			case types.VolumeTypeBind:
				// Configuration from deploy/, read-only, and present.
				if !v.ReadOnly {
					t.Errorf("service %s: bind mount %s should be read-only", name, v.Target)
				}
				if rel, err := filepath.Rel(filepath.Join(repoRoot(t), "deploy"), v.Source); err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("service %s: bind mount source %s is outside deploy/", name, v.Source)
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s: bind mount source: %v", name, err)
				}
			default:
				t.Errorf("service %s: unexpected %s mount %s", name, v.Type, v.Target)
			}
		}
	}
	for vol := range p.Volumes {
		if !used[vol] {
			t.Errorf("named volume %q is declared but not used", vol)
		}
	}
	if !mountsFile(t, service(t, p, "postgres"), "/docker-entrypoint-initdb.d/10-create-databases.sh") {
		t.Error("postgres: the database init script is not mounted into /docker-entrypoint-initdb.d")
	}
}

func TestAppBuild(t *testing.T) {
	p := loadProject(t)
	root := repoRoot(t)
	image := service(t, p, "web").Image
	for _, name := range appServices {
		s := service(t, p, name)
		if s.Build == nil {
			t.Errorf("service %s is not built from the repository", name)
			continue
		}
		dockerfile := s.Build.Dockerfile
		if !filepath.IsAbs(dockerfile) {
			dockerfile = filepath.Join(s.Build.Context, dockerfile)
		}
		if s.Build.Context != root || dockerfile != filepath.Join(root, "Dockerfile") {
			t.Errorf("service %s builds %s with context %s, want the repository's Dockerfile", name, dockerfile, s.Build.Context)
		}
		if s.Image != image {
			t.Errorf("service %s: image %q, want the shared app image %q", name, s.Image, image)
		}
	}
	for name, want := range map[string][]string{"web": {"web"}, "worker": {"worker"}} {
		if got := service(t, p, name).Command; !slices.Equal(got, want) || service(t, p, name).Entrypoint != nil {
			t.Errorf("service %s: command %q entrypoint %q, want the image entrypoint with %q", name, got, service(t, p, name).Entrypoint, want)
		}
	}
	// migrate runs, in order: migrate, import catalog (embedded), demo.
	m := service(t, p, "migrate")
	script := strings.Join(append(slices.Clone([]string(m.Entrypoint)), m.Command...), " ")
	steps := []string{"/esenzioni migrate", "/esenzioni import catalog", "/esenzioni demo"}
	last := -1
	for _, step := range steps {
		i := strings.Index(script, step)
		if i <= last {
			t.Errorf("migrate: %q missing or out of order in %q", step, script)
		}
		last = i
	}
	if !slices.Contains([]string(m.Entrypoint), "-euc") && !slices.Contains([]string(m.Entrypoint), "-ec") {
		t.Errorf("migrate: entrypoint %q should stop at the first failing step (sh -e)", m.Entrypoint)
	}
}

func TestSearchAttributesOneShot(t *testing.T) {
	p := loadProject(t)
	s := service(t, p, "temporal-admin-tools")
	const script = "/etc/esenzioni/register-search-attributes.sh"
	if !slices.Contains([]string(s.Entrypoint), script) {
		t.Errorf("temporal-admin-tools: entrypoint %q does not run %s", s.Entrypoint, script)
	}
	if !mountsFile(t, s, script) {
		t.Fatalf("temporal-admin-tools: %s is not mounted", script)
	}
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "temporal", "register-search-attributes.sh"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Za-z]+):([A-Za-z]+)$`).FindAllStringSubmatch(string(data), -1) {
		got[m[1]] = m[2]
	}
	want := searchattr.Definitions() // what the app itself registers
	if len(got) != len(want) {
		t.Errorf("script registers %v, want %v", got, want)
	}
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("search attribute %s: script has type %q, want %q", name, got[name], typ)
		}
	}
	for _, needle := range []string{"temporal operator search-attribute create", "already exists", "different type"} {
		if !strings.Contains(string(data), needle) {
			t.Errorf("register-search-attributes.sh: %q not found (creation must be idempotent)", needle)
		}
	}
}

// dockerInstruction is one instruction of a Dockerfile, continuations joined.
type dockerInstruction struct {
	cmd, args string
}

func parseDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	defer f.Close()
	var out []dockerInstruction
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	instructions := parseDockerfile(t, filepath.Join(root, "Dockerfile"))

	stages := map[string]bool{}
	lastFrom := -1
	for i, in := range instructions {
		if in.cmd != "FROM" {
			continue
		}
		lastFrom = i
		var fields []string
		for _, f := range strings.Fields(in.args) {
			if !strings.HasPrefix(f, "--") {
				fields = append(fields, f)
			}
		}
		if len(fields) == 0 {
			t.Fatalf("FROM without an image: %q", in.args)
		}
		if img := fields[0]; !stages[img] && img != "scratch" {
			checkPinned(t, "Dockerfile FROM", img)
		}
		if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
			stages[fields[2]] = true
		}
	}
	if lastFrom < 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	if len(stages) == 0 {
		t.Error("Dockerfile is not multi-stage")
	}
	if first := instructions[0]; first.cmd != "FROM" || !strings.Contains(first.args, "golang:1.26") {
		t.Errorf("build stage should be golang:1.26, got %s %s", first.cmd, first.args)
	}

	var build, user, healthcheck, entrypoint string
	for i, in := range instructions {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
		if i < lastFrom {
			continue
		}
		switch in.cmd {
		case "USER":
			user = in.args
		case "HEALTHCHECK":
			healthcheck = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/esenzioni", "--mount=type=cache"} {
		if !strings.Contains(build, want) {
			t.Errorf("build step %q lacks %s", build, want)
		}
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || name == "0" {
		t.Errorf("final stage runs as %q; it must set a non-root USER", user)
	}
	if !strings.Contains(healthcheck, `"/esenzioni", "healthcheck", "http://localhost:8080/healthz"`) {
		t.Errorf("final stage HEALTHCHECK = %q", healthcheck)
	}
	if entrypoint != `["/esenzioni"]` {
		t.Errorf("final stage ENTRYPOINT = %q, want [\"/esenzioni\"]", entrypoint)
	}

	// The build context must not drag in the repository history or the
	// downloaded tool binaries (.tools is hundreds of MB).
	data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	lines := strings.Split(string(data), "\n")
	for _, want := range []string{".git", ".tools"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// The production roles: two web and two worker replicas, the proxy spreading
// requests over the web replicas, Prometheus scraping every replica's metrics
// port with the alert rules, Grafana with the dashboard.
func TestReplicasAndMonitoring(t *testing.T) {
	p := loadProject(t)
	for _, name := range []string{"web", "worker"} {
		s := service(t, p, name)
		if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != 2 {
			t.Errorf("%s: want deploy.replicas 2", name)
		}
		if len(s.Ports) != 0 || s.ContainerName != "" {
			t.Errorf("%s: a replicated service can publish no port and have no container_name", name)
		}
		if got := env(t, s, "METRICS_ADDR"); got != "0.0.0.0:9090" {
			t.Errorf("%s: METRICS_ADDR = %q, want 0.0.0.0:9090", name, got)
		}
		if got := env(t, s, "LOG_FORMAT"); got != "json" {
			t.Errorf("%s: LOG_FORMAT = %q, want json", name, got)
		}
	}
	root := repoRoot(t)
	nginx, err := os.ReadFile(filepath.Join(root, "deploy", "nginx", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server web:8080 resolve", "resolver 127.0.0.11", "proxy_pass http://web", "location = /nginx-health", "client_max_body_size"} {
		if !strings.Contains(string(nginx), want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	if !mountsFile(t, service(t, p, "proxy"), "/etc/nginx/nginx.conf") {
		t.Error("proxy: nginx.conf is not mounted")
	}

	var prom struct {
		RuleFiles     []string `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName      string `json:"job_name"`
			DNSSDConfigs []struct {
				Names []string `json:"names"`
				Type  string   `json:"type"`
				Port  int      `json:"port"`
			} `json:"dns_sd_configs"`
		} `json:"scrape_configs"`
	}
	readYAML(t, filepath.Join(root, "deploy", "prometheus", "prometheus.yml"), &prom)
	jobs := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			if d.Type != "A" || d.Port != 9090 || len(d.Names) != 1 {
				t.Errorf("job %s: want one A-record name on port 9090 (every replica), got %+v", sc.JobName, d)
				continue
			}
			jobs[sc.JobName] = d.Names[0]
		}
	}
	if jobs["esenzioni-web"] != "web" || jobs["esenzioni-worker"] != "worker" {
		t.Errorf("scrape jobs %v, want esenzioni-web -> web and esenzioni-worker -> worker (alerts.yml names these jobs)", jobs)
	}
	prometheus := service(t, p, "prometheus")
	for _, f := range append([]string{"/etc/prometheus/prometheus.yml"}, prom.RuleFiles...) {
		if !mountsFile(t, prometheus, f) {
			t.Errorf("prometheus: %s is not mounted", f)
		}
	}
	grafana := service(t, p, "grafana")
	for _, f := range []string{"/etc/grafana/provisioning/datasources/prometheus.yml", "/etc/grafana/provisioning/dashboards/esenzioni.yml", "/var/lib/grafana/dashboards/esenzioni.json"} {
		if !mountsFile(t, grafana, f) {
			t.Errorf("grafana: %s is not mounted", f)
		}
	}
}

// TestLeastPrivilegeDatabaseRoles: web and worker log in as esenzioni_app,
// only migrate has the owner's URL, the init script creates the roles that
// way, and PostgreSQL asks for passwords over TCP (issue 12, point 6).
func TestLeastPrivilegeDatabaseRoles(t *testing.T) {
	p := loadProject(t)
	pg := service(t, p, "postgres")
	if got := env(t, pg, "POSTGRES_HOST_AUTH_METHOD"); got != "scram-sha-256" {
		t.Errorf("postgres: POSTGRES_HOST_AUTH_METHOD = %q, want scram-sha-256", got)
	}
	for _, name := range []string{"web", "worker"} {
		if _, ok := service(t, p, name).Environment["MIGRATE_DATABASE_URL"]; ok {
			t.Errorf("%s: has the owner's MIGRATE_DATABASE_URL", name)
		}
	}
	m, err := url.Parse(env(t, service(t, p, "migrate"), "MIGRATE_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	if m.User.Username() != "esenzioni" || m.Path != "/esenzioni" {
		t.Errorf("migrate: MIGRATE_DATABASE_URL should be the owner esenzioni, got %s", m.Redacted())
	}
	if pw, _ := m.User.Password(); pw != env(t, pg, "ESENZIONI_DB_PASSWORD") {
		t.Error("migrate: MIGRATE_DATABASE_URL password differs from the owner's")
	}
	script, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/postgres/initdb/10-create-databases.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE ROLE esenzioni_app LOGIN NOSUPERUSER",
		"GRANT esenzioni_app TO esenzioni WITH ADMIN OPTION",
		"REVOKE ALL ON DATABASE esenzioni FROM PUBLIC",
		"ALTER SCHEMA public OWNER TO esenzioni;",
	} {
		if !strings.Contains(string(script), want) {
			t.Errorf("init script lacks %q", want)
		}
	}
	if strings.Contains(string(script), "GRANT esenzioni TO esenzioni_app") {
		t.Error("esenzioni_app must not be a member of the owner role")
	}
}
