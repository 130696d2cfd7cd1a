package devstack

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"esenzioni/internal/httpcheck"
)

// ProductionOptions configure `esenzioni cluster`: the whole system in its
// production form on one machine.
type ProductionOptions struct {
	Binary   string // the esenzioni binary web and worker processes run
	DataDir  string // e.g. .data/cluster
	BasePort int    // 0: 17200; PostgreSQL BasePort+1, MinIO +2/+3, UI +4, JWKS +5, OIDC provider +6, Temporal +0 and +10.., web 18080.., metrics 19090..
	Webs     int    // web processes; 0: 2
	Workers  int    // worker processes; 0: 2
	// Env is added to every application process (e.g. REMINDER_OFFSETS).
	Env      []string
	Progress io.Writer
	// Histories is the number of history processes; 0: 2.
	Histories int
	// RegisterSearchAttributes adds the application's search attributes
	// to the namespace (before the demo data starts workflows).
	RegisterSearchAttributes func(ctx context.Context, opts client.Options) error
	// Insecure runs the cluster without mTLS and without the JWT authorizer
	// (the Temporal UI then works without an identity provider).
	Insecure bool
	// OIDCUsers are the people of the local identity provider
	// (tools/oidcprovider) that the secure form starts, when built, for the
	// Temporal UI's login and the application's SPID/CIE login; each one's
	// Permissions go into the access tokens issued to the Temporal UI.
	OIDCUsers []OIDCUser
}

// The Temporal UI's client at the local identity provider.
const (
	UIClientID     = "temporal-ui"
	UIClientSecret = "temporal-ui-dev-secret"
)

// Production is the running system.
type Production struct {
	Cluster  *Cluster
	Postgres *Postgres
	MinIO    *MinIO
	opts     ProductionOptions
	env      []string
	WebURLs  []string
	// MetricsURLs of the application processes, by name (web-1, worker-1...).
	MetricsURLs map[string]string
	UIURL       string
	// OIDC is the local identity provider (nil: insecure form, or not built).
	OIDC     *OIDC
	ui       *process
	security *Security
	apps     map[string]*process
}

// StartProduction starts PostgreSQL, MinIO, the Temporal cluster, prepares
// the application's database (migrations, catalogue, demo data) and starts
// the web and worker processes. On failure everything started is stopped.
func StartProduction(ctx context.Context, opts ProductionOptions) (_ *Production, err error) {
	opts.BasePort = cmp.Or(opts.BasePort, 17200)
	opts.Webs = cmp.Or(opts.Webs, 2)
	opts.Workers = cmp.Or(opts.Workers, 2)
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	opts.DataDir = dir
	p := &Production{opts: opts, MetricsURLs: map[string]string{}, apps: map[string]*process{}}
	defer func() {
		if err != nil {
			p.Stop()
		}
	}()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, format+"\n", args...)
		}
	}
	if p.Postgres, err = StartPostgres(ctx, PostgresOptions{Dir: filepath.Join(dir, "postgres"), Port: opts.BasePort + 1}); err != nil {
		return nil, err
	}
	say("postgresql: %s", p.Postgres.URL("esenzioni"))
	minioBin, err := Tool("", "minio")
	if err != nil {
		return nil, err
	}
	if p.MinIO, err = StartMinIO(ctx, MinIOOptions{Binary: minioBin, Dir: filepath.Join(dir, "minio"), Port: opts.BasePort + 2,
		ConsolePort: opts.BasePort + 3, AccessKey: "esenzioni", SecretKey: "esenzioni-dev-secret", LogDir: dir}); err != nil {
		return nil, err
	}
	say("minio: %s", p.MinIO.Endpoint())
	var sec *Security
	if !opts.Insecure {
		if sec, err = NewSecurity(filepath.Join(dir, "tls"), "esenzioni", opts.BasePort+5); err != nil {
			return nil, err
		}
		p.security = sec
		say("security: mTLS and JWT material in %s (JWKS %s)", sec.Dir, sec.JWKSURL)
	}
	var keySources []string
	if sec != nil {
		// Before the frontend: its JWT key provider fetches every JWKS at
		// start and keeps none if one fails.
		if bin, err := Tool("", "oidcprovider"); err == nil {
			if p.OIDC, err = StartOIDC(ctx, OIDCOptions{Binary: bin, Port: opts.BasePort + 6, Users: opts.OIDCUsers,
				ClientID: "esenzioni", ClientSecret: "esenzioni-dev-secret", Dir: filepath.Join(dir, "oidc"),
				UIClientID: UIClientID, UIClientSecret: UIClientSecret}); err != nil {
				return nil, err
			}
			keySources = append(keySources, p.OIDC.JWKSURL("spid"))
			say("oidc provider: %s (SPID %s, CIE %s; keys %s)", p.OIDC.BaseURL(), p.OIDC.Issuer("spid"), p.OIDC.Issuer("cie"), p.OIDC.JWKSURL("spid"))
		} else {
			say("oidc provider: not built (scripts/build-tools.sh oidcprovider): the Temporal UI will have no login and its calls will be refused")
		}
	}
	if p.Cluster, err = StartCluster(ctx, p.Postgres, ClusterOptions{DataDir: dir, BasePort: opts.BasePort,
		Histories: opts.Histories, Progress: opts.Progress, Security: sec, KeySourceURIs: keySources}); err != nil {
		return nil, err
	}
	if opts.RegisterSearchAttributes != nil {
		co, err := p.Cluster.ClientOptions(p.Cluster.Namespace(), "admin", true)
		if err != nil {
			return nil, err
		}
		if err := opts.RegisterSearchAttributes(ctx, co); err != nil {
			return nil, err
		}
	}
	if err := p.Postgres.CreateDatabase(ctx, "esenzioni"); err != nil {
		return nil, err
	}
	p.env = append(os.Environ(),
		"DATABASE_URL="+p.Postgres.URL("esenzioni"),
		"TEMPORAL_ADDRESS="+p.Cluster.FrontendAddress(),
		"TEMPORAL_NAMESPACE="+p.Cluster.Namespace(),
		"TEMPORAL_TASK_QUEUE=esenzioni",
		"S3_ENDPOINT="+p.MinIO.Endpoint(),
		"S3_ACCESS_KEY=esenzioni", "S3_SECRET_KEY=esenzioni-dev-secret",
		"TEMPORAL_UI_URL=http://localhost:"+strconv.Itoa(opts.BasePort+4),
		"LOG_FORMAT=json",
	)
	if sec != nil {
		p.env = append(p.env,
			"TEMPORAL_TLS_CERT="+sec.ClientCert("app"), "TEMPORAL_TLS_KEY="+sec.ClientKey("app"),
			"TEMPORAL_TLS_CA="+sec.CA(), "TEMPORAL_TLS_SERVER_NAME="+FrontendServerName,
			"TEMPORAL_TOKEN_FILE="+sec.Token("app"))
	}
	if o := p.OIDC; o != nil {
		// The application's SPID/CIE login at the same provider.
		p.env = append(p.env, "OIDC_PROVIDERS=spid,cie")
		for _, kind := range []string{"spid", "cie"} {
			k := strings.ToUpper(kind)
			p.env = append(p.env, "OIDC_"+k+"_ISSUER="+o.Issuer(kind), "OIDC_"+k+"_CLIENT_ID="+o.ClientID,
				"OIDC_"+k+"_CLIENT_SECRET="+o.ClientSecret, "OIDC_"+k+"_LABEL=Gestore di prova locale ("+o.BaseURL()+")")
		}
	}
	p.env = append(p.env, opts.Env...)
	for _, step := range [][]string{{"migrate"}, {"import", "catalog"}} {
		cmd := exec.CommandContext(ctx, opts.Binary, step...)
		cmd.Env = p.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("esenzioni %s: %w\n%s", strings.Join(step, " "), err, tail2(string(out), 20))
		}
	}
	say("database: migrated, catalogue loaded")
	for i := 1; i <= opts.Workers; i++ {
		name := "worker-" + strconv.Itoa(i)
		metrics := net.JoinHostPort("127.0.0.1", strconv.Itoa(19190+i))
		if err := p.startApp(name, []string{"worker"}, "METRICS_ADDR="+metrics); err != nil {
			return nil, err
		}
		p.MetricsURLs[name] = "http://" + metrics
	}
	// The demo data waits for its practices to be projected: workers first.
	for name, u := range p.MetricsURLs {
		if err := p.waitHealthy(ctx, name, u+"/healthz", 60*time.Second); err != nil {
			return nil, err
		}
	}
	demo := exec.CommandContext(ctx, opts.Binary, "demo")
	demo.Env = p.env
	if out, err := demo.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("esenzioni demo: %w\n%s", err, tail2(string(out), 20))
	}
	say("demo data loaded")
	for i := 1; i <= opts.Webs; i++ {
		name := "web-" + strconv.Itoa(i)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(18079+i))
		metrics := net.JoinHostPort("127.0.0.1", strconv.Itoa(19089+i))
		url := "http://localhost:" + strconv.Itoa(18079+i)
		if err := p.startApp(name, []string{"web"}, "HTTP_ADDR="+addr, "PUBLIC_URL="+url, "METRICS_ADDR="+metrics); err != nil {
			return nil, err
		}
		p.WebURLs = append(p.WebURLs, url)
		p.MetricsURLs[name] = "http://" + metrics
	}
	for name, u := range p.MetricsURLs {
		if err := p.waitHealthy(ctx, name, u+"/healthz", 60*time.Second); err != nil {
			return nil, err
		}
	}
	if ui, err := Tool("", "temporal-ui"); err == nil {
		if err := p.startUI(ui); err != nil {
			say("temporal ui: %v (the cluster runs without it)", err)
		}
	} else {
		say("temporal ui: not built (scripts/build-tools.sh temporal-ui); the cluster runs without it")
	}
	return p, nil
}

func tail2(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *Production) startApp(name string, args []string, env ...string) error {
	cmd := exec.Command(p.opts.Binary, args...)
	cmd.Env = append(append([]string{}, p.env...), env...)
	proc, err := startProcess(name, cmd, filepath.Join(p.opts.DataDir, name+".log"))
	if err != nil {
		return err
	}
	p.apps[name] = proc
	return nil
}

func (p *Production) waitHealthy(ctx context.Context, name, url string, timeout time.Duration) error {
	return waitReady(ctx, p.apps[name], filepath.Join(p.opts.DataDir, name+".log"), timeout, func(ctx context.Context) error {
		return httpcheck.Get(ctx, url, httpcheck.OK)
	})
}

// KillApp ends an application process at once (SIGKILL).
func (p *Production) KillApp(name string) error {
	proc := p.apps[name]
	if proc == nil {
		return fmt.Errorf("no application process %q", name)
	}
	proc.stop(syscall.SIGKILL, time.Second)
	return nil
}

func (p *Production) startUI(bin string) error {
	dir := filepath.Join(p.opts.DataDir, "ui", "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	port := p.opts.BasePort + 4
	cfg := fmt.Sprintf(`# Written by esenzioni cluster.
temporalGrpcAddress: %s
host: 127.0.0.1
port: %d
enableUi: true
defaultNamespace: %s
cors:
  allowOrigins:
    - http://localhost:%d
codec:
  endpoint: %s/codec
  includeCredentials: true
hideLogs: true
`, p.Cluster.FrontendAddress(), port, p.Cluster.Namespace(), port, p.WebURLs[0])
	if sec := p.security; sec != nil {
		// mTLS with a supervisor's certificate (the UI server's connection);
		// the frontend wants a JWT on every call as well: the user's, from
		// the login at the identity provider, which the UI sends as
		// "authorization: Bearer <access token>".
		cfg += fmt.Sprintf("tls:\n  caFile: %s\n  certFile: %s\n  keyFile: %s\n  serverName: %s\n",
			sec.CA(), sec.ClientCert(Supervisors[0]), sec.ClientKey(Supervisors[0]), FrontendServerName)
	}
	if o := p.OIDC; o != nil {
		cfg += fmt.Sprintf(`auth:
  enabled: true
  providers:
    - label: SPID (gestore di prova locale)
      type: oidc
      providerUrl: %s
      clientId: %s
      clientSecret: %s
      scopes: [openid, profile]
      callbackUrl: http://localhost:%d/auth/sso/callback
`, o.Issuer("spid"), UIClientID, UIClientSecret, port)
	}
	if err := os.WriteFile(filepath.Join(dir, "development.yaml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(bin, "--root", filepath.Join(p.opts.DataDir, "ui"), "--config", "config", "--env", "development", "start")
	proc, err := startProcess("temporal-ui", cmd, filepath.Join(p.opts.DataDir, "temporal-ui.log"))
	if err != nil {
		return err
	}
	p.ui = proc
	p.UIURL = fmt.Sprintf("http://localhost:%d/namespaces/%s/workflows", port, p.Cluster.Namespace())
	return waitReady(context.Background(), proc, filepath.Join(p.opts.DataDir, "temporal-ui.log"), 30*time.Second, func(ctx context.Context) error {
		return httpcheck.Get(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", port), httpcheck.OK)
	})
}

// Stop ends everything: web and worker first, then Temporal, MinIO and
// PostgreSQL.
func (p *Production) Stop() {
	if p == nil {
		return
	}
	p.ui.stop(syscall.SIGTERM, 5*time.Second)
	for _, proc := range p.apps {
		proc.stop(syscall.SIGTERM, 20*time.Second)
	}
	p.Cluster.Stop()
	p.OIDC.Stop()
	p.security.Close()
	if p.MinIO != nil {
		p.MinIO.Stop()
	}
	p.Postgres.Stop()
}
