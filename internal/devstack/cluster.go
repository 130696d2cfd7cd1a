package devstack

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ClusterOptions configure the production form of the system on this
// machine (`esenzioni cluster`): the Temporal server as separate frontend,
// history (several), matching and worker processes on PostgreSQL persistence
// and visibility, and the application as several web and worker processes
// behind it.
type ClusterOptions struct {
	DataDir   string // everything lives here: PostgreSQL, MinIO, configuration, logs
	BasePort  int    // ports BasePort.. (see Ports); 0: 17200
	Shards    int    // history shards; 0: 16
	Histories int    // history processes; 0: 2
	// Retention of closed workflows in the namespace; 0: 30 days.
	Retention time.Duration
	Namespace string // 0: esenzioni
	Progress  io.Writer
	// Security, when set, turns on mTLS (frontend and internode) and the
	// JWT authorizer; the system worker then reaches an internal-frontend.
	Security *Security
	// KeySourceURIs are further JWKS URIs whose keys the frontend's JWT
	// authorizer accepts besides Security's (the identity provider the
	// Temporal UI logs its users in with).
	KeySourceURIs []string
}

// Cluster is a running Temporal cluster in its production form.
type Cluster struct {
	opts     ClusterOptions
	Postgres *Postgres
	dir      string
	server   string
	mu       sync.Mutex
	procs    map[string]*process
	services []clusterService
	// pgPassword is temporalRole's.
	pgPassword string
}

type clusterService struct {
	name    string // frontend, history-1, ...
	service string // frontend, history, matching, worker
	grpc    int
	member  int
	http    int // frontend only
	metrics int
	pprof   int
}

// FrontendAddress is where clients reach the frontend.
func (c *Cluster) FrontendAddress() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.opts.BasePort))
}

// Namespace is the application's namespace.
func (c *Cluster) Namespace() string { return c.opts.Namespace }

// Services lists the server processes by name (frontend, history-1, ...).
func (c *Cluster) Services() []string {
	var out []string
	for _, s := range c.services {
		out = append(out, s.name)
	}
	return out
}

// MetricsAddress is where a server process serves its Prometheus metrics.
func (c *Cluster) MetricsAddress(name string) string {
	for _, s := range c.services {
		if s.name == name {
			return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.metrics))
		}
	}
	return ""
}

func (c *Cluster) logf(format string, args ...any) {
	if c.opts.Progress != nil {
		fmt.Fprintf(c.opts.Progress, format+"\n", args...)
	}
}

// StartCluster sets up the schemas (idempotently) and starts every server
// process, then creates the namespace with its retention.
func StartCluster(ctx context.Context, pg *Postgres, opts ClusterOptions) (_ *Cluster, err error) {
	opts.BasePort = cmp.Or(opts.BasePort, 17200)
	opts.Shards = cmp.Or(opts.Shards, 16)
	opts.Histories = cmp.Or(opts.Histories, 2)
	opts.Retention = cmp.Or(opts.Retention, 30*24*time.Hour)
	opts.Namespace = cmp.Or(opts.Namespace, "esenzioni")
	c := &Cluster{opts: opts, Postgres: pg, dir: filepath.Join(opts.DataDir, "temporal"), procs: map[string]*process{}}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if c.server, err = Tool("", "temporal-server"); err != nil {
		return nil, errors.New("temporal-server: binary not found; build it with `scripts/build-tools.sh temporal-server temporal-sql-tool` (or `make cluster`)")
	}
	sqlTool, err := Tool("", "temporal-sql-tool")
	if err != nil {
		return nil, errors.New("temporal-sql-tool: binary not found; build it with `scripts/build-tools.sh temporal-server temporal-sql-tool`")
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	for _, db := range []string{"temporal", "temporal_visibility"} {
		if err := pg.CreateDatabase(ctx, db); err != nil {
			return nil, err
		}
	}
	if err := c.ensureRole(ctx); err != nil {
		return nil, err
	}
	if err := c.setupSchemas(ctx, sqlTool); err != nil {
		return nil, err
	}

	// Ports: frontend gRPC at BasePort (what clients dial), then one block
	// of five per process.
	p := opts.BasePort
	add := func(name, service string, base int) {
		s := clusterService{name: name, service: service, grpc: base, member: base + 1, metrics: base + 2, pprof: base + 3}
		if service == "frontend" {
			s.grpc, s.http = p, base+4
		}
		c.services = append(c.services, s)
	}
	add("frontend", "frontend", p+10)
	if opts.Security != nil {
		// The system worker's way in: mTLS between services, no JWT.
		add("internal-frontend", "internal-frontend", p+45)
		c.services[len(c.services)-1].http = p + 49
	}
	for i := 1; i <= opts.Histories; i++ {
		add("history-"+strconv.Itoa(i), "history", p+10+5*i)
	}
	add("matching", "matching", p+10+5*(opts.Histories+1))
	add("worker", "worker", p+10+5*(opts.Histories+2))
	for _, s := range c.services {
		if err := checkPortFree("temporal "+s.name, "ESENZIONI_CLUSTER_PORT", s.grpc); err != nil {
			return nil, err
		}
		if err := c.writeConfig(s); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(c.dir, "dynamicconfig.yaml"), []byte(dynamicConfig), 0o644); err != nil {
		return nil, err
	}
	// History and matching first: the frontend and the system worker need them.
	order := slices.Clone(c.services)
	slices.SortStableFunc(order, func(a, b clusterService) int { return rank(a.service) - rank(b.service) })
	// The first process initialises the cluster's metadata in a fresh
	// database; two doing it at once fail ("failed to initialize current
	// cluster metadata"), so the others wait for it.
	for i, s := range order {
		if err := c.start(s.name); err != nil {
			return nil, err
		}
		if i == 0 {
			if err := c.waitMetadata(ctx, s.name, 60*time.Second); err != nil {
				return nil, err
			}
		}
	}
	c.logf("temporal: waiting for the frontend at %s", c.FrontendAddress())
	if err := c.waitFrontend(ctx, 90*time.Second); err != nil {
		return nil, err
	}
	if err := c.ensureNamespace(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// waitMetadata waits until the cluster's metadata row exists.
func (c *Cluster) waitMetadata(ctx context.Context, first string, timeout time.Duration) error {
	conn := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.Postgres.URL("temporal"))))
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		err := conn.QueryRowContext(ctx, `SELECT count(*) FROM cluster_metadata_info`).Scan(&n)
		if err == nil && n > 0 {
			return nil
		}
		if done, perr := c.procs[first].exited(); done {
			log := filepath.Join(c.dir, first+".log")
			return fmt.Errorf("temporal %s exited (%v); see %s:\n%s", first, perr, log, shorten(tail(log, 3), 1500))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal: cluster metadata not initialised after %s (%v); see %s", timeout, err, c.dir)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func rank(service string) int {
	return map[string]int{"history": 0, "matching": 1, "internal-frontend": 2, "frontend": 2, "worker": 3}[service]
}

// temporalRole is the PostgreSQL role of the Temporal server and its schema
// tool: they connect over TCP, where the cluster asks every role for a
// password (the superuser has none, and reaches it only by the socket).
const temporalRole = "temporal"

// ensureRole makes (or updates) the Temporal server's role with a password
// kept in the cluster's directory, owner of its two databases; tables made
// by the superuser in a directory of an earlier version are granted to it.
func (c *Cluster) ensureRole(ctx context.Context) error {
	file := filepath.Join(c.dir, "postgres-password")
	if b, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(b)) > 0 {
		c.pgPassword = string(bytes.TrimSpace(b))
	} else {
		c.pgPassword = randomPassword()
		if err := os.WriteFile(file, []byte(c.pgPassword+"\n"), 0o600); err != nil {
			return err
		}
	}
	conn := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.Postgres.URL("postgres"))))
	defer conn.Close()
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, temporalRole).Scan(&exists); err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	// The password is hex (randomPassword): safe in a literal.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`%s ROLE %s LOGIN PASSWORD '%s'`, verb, temporalRole, c.pgPassword)); err != nil {
		return fmt.Errorf("postgresql: role %s: %w", temporalRole, err)
	}
	for _, db := range []string{"temporal", "temporal_visibility"} {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s OWNER TO %s`, db, temporalRole)); err != nil {
			return fmt.Errorf("postgresql: %w", err)
		}
		dbc := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.Postgres.URL(db))))
		_, err := dbc.ExecContext(ctx, fmt.Sprintf(`GRANT ALL ON SCHEMA public TO %[1]s;
GRANT ALL ON ALL TABLES IN SCHEMA public TO %[1]s;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO %[1]s`, temporalRole))
		dbc.Close()
		if err != nil {
			return fmt.Errorf("postgresql %s: %w", db, err)
		}
	}
	return nil
}

func (c *Cluster) setupSchemas(ctx context.Context, sqlTool string) error {
	for _, s := range []struct{ db, schema string }{
		{"temporal", "postgresql/v12/temporal"},
		{"temporal_visibility", "postgresql/v12/visibility"},
	} {
		base := []string{"--plugin", "postgres12", "--ep", "127.0.0.1", "-p", strconv.Itoa(c.Postgres.Port),
			"-u", temporalRole, "--db", s.db}
		conn := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.Postgres.URL(s.db))))
		var exists bool
		err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version')`).Scan(&exists)
		conn.Close()
		if err != nil {
			return fmt.Errorf("postgresql: %w", err)
		}
		if !exists {
			if err := c.run(ctx, sqlTool, append(base, "setup-schema", "-v", "0.0")...); err != nil {
				return err
			}
		}
		if err := c.run(ctx, sqlTool, append(base, "update-schema", "--schema-name", s.schema)...); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "SQL_PASSWORD="+c.pgPassword) // not in the arguments (ps, error messages)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %v: %w\n%s", filepath.Base(bin), args, err, out.String())
	}
	return nil
}

// configTemplate is the server configuration of one process: all share
// persistence, shards and membership; each has its own ports.
var configTemplate = template.Must(template.New("config").Parse(`# Written by esenzioni cluster; regenerated at every start.
log:
  stdout: true
  level: warn
persistence:
  numHistoryShards: {{.Shards}}
  defaultStore: default
  visibilityStore: visibility
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:{{.PGPort}}"
        connectProtocol: tcp
        user: {{.User}}
        password: "{{.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:{{.PGPort}}"
        connectProtocol: tcp
        user: {{.User}}
        password: "{{.Password}}"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  pprof:
    port: {{.S.Pprof}}
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:{{.S.Metrics}}"
{{.Security}}# Every service is listed (membership needs them all); this process runs
# {{.Own}} with its own ports.
services:
{{- range .Services}}
  {{.Service}}:
    rpc:
      grpcPort: {{.GRPC}}
      membershipPort: {{.Member}}
      bindOnLocalHost: true
{{- if .HTTP}}
      httpPort: {{.HTTP}}
{{- end}}
{{- end}}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{.FrontendPort}}"
      httpAddress: "127.0.0.1:{{.FrontendHTTP}}"
dcRedirectionPolicy:
  policy: noop
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
dynamicConfigClient:
  filepath: {{.Dynamic}}
  pollInterval: 10s
`))

// securityTemplate is appended under global: when security is on.
var securityTemplate = template.Must(template.New("security").Parse(`  tls:
    internode:
      server:
        certFile: {{.Dir}}/internode.pem
        keyFile: {{.Dir}}/internode-key.pem
        requireClientAuth: true
        clientCaFiles: [{{.Dir}}/ca.pem]
      client:
        serverName: temporal-internode
        rootCaFiles: [{{.Dir}}/ca.pem]
    frontend:
      server:
        certFile: {{.Dir}}/frontend.pem
        keyFile: {{.Dir}}/frontend-key.pem
        requireClientAuth: true
        clientCaFiles: [{{.Dir}}/ca.pem]
      client:
        serverName: temporal-frontend
        rootCaFiles: [{{.Dir}}/ca.pem]
    systemWorker:
      certFile: {{.Dir}}/internode.pem
      keyFile: {{.Dir}}/internode-key.pem
      client:
        serverName: temporal-internode
        rootCaFiles: [{{.Dir}}/ca.pem]
  # The keys of the cluster's own tokens (application, administrator, CLI
  # supervisors) and of the identity provider the Temporal UI logs in with;
  # a refresh needs every URI to answer.
  authorization:
    jwtKeyProvider:
      keySourceURIs: [{{.JWKS}}]
      refreshInterval: 1m
    permissionsClaimName: permissions
    authorizer: default
    claimMapper: default
`))

// dynamicConfig: the application's search attributes live in SQL
// visibility; the rest are the server's defaults.
const dynamicConfig = `# Written by esenzioni cluster.
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
system.enableDeployments:
  - value: true
system.enableDeploymentVersions:
  - value: true
frontend.workerVersioningWorkflowAPIs:
  - value: true
system.enableActivityEagerExecution:
  - value: true
`

func (c *Cluster) writeConfig(s clusterService) error {
	var fe clusterService
	for _, x := range c.services {
		if x.service == "frontend" {
			fe = x
		}
	}
	dir := filepath.Join(c.dir, "config", s.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// This process's ports for its own service, the first process's for the
	// others.
	services := []map[string]any{{"Service": s.service, "GRPC": s.grpc, "Member": s.member, "HTTP": s.http}}
	seen := map[string]bool{s.service: true}
	for _, x := range c.services {
		if !seen[x.service] {
			seen[x.service] = true
			services = append(services, map[string]any{"Service": x.service, "GRPC": x.grpc, "Member": x.member, "HTTP": x.http})
		}
	}
	var b bytes.Buffer
	err := configTemplate.Execute(&b, map[string]any{
		"Shards": c.opts.Shards, "PGPort": c.Postgres.Port, "User": temporalRole, "Password": c.pgPassword, "Own": s.name, "Services": services,
		"S":            map[string]any{"Service": s.service, "GRPC": s.grpc, "Member": s.member, "HTTP": s.http, "Metrics": s.metrics, "Pprof": s.pprof},
		"FrontendPort": fe.grpc, "FrontendHTTP": fe.http,
		"Dynamic":  filepath.Join(c.dir, "dynamicconfig.yaml"),
		"Security": c.securityConfig(),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "development.yaml"), b.Bytes(), 0o644)
}

func (c *Cluster) securityConfig() string {
	if c.opts.Security == nil {
		return ""
	}
	var b bytes.Buffer
	_ = securityTemplate.Execute(&b, map[string]string{"Dir": c.opts.Security.Dir,
		"JWKS": strings.Join(append([]string{c.opts.Security.JWKSURL}, c.opts.KeySourceURIs...), ", ")})
	return b.String()
}

// ClientOptions are SDK options for who (admin, app, a supervisor) on the
// cluster: with security, its certificate and (if token) its JWT.
func (c *Cluster) ClientOptions(namespace, who string, token bool) (client.Options, error) {
	if c.opts.Security == nil {
		return client.Options{HostPort: c.FrontendAddress(), Namespace: namespace}, nil
	}
	return c.opts.Security.ClientOptions(c.FrontendAddress(), namespace, who, token)
}

// Security is the cluster's TLS and JWT material (nil: none).
func (c *Cluster) Security() *Security { return c.opts.Security }

// start starts (or restarts) one server process.
func (c *Cluster) start(name string) error {
	var s clusterService
	for _, x := range c.services {
		if x.name == name {
			s = x
		}
	}
	if s.name == "" {
		return fmt.Errorf("temporal: no service %q", name)
	}
	logPath := filepath.Join(c.dir, name+".log")
	args := []string{"--root", c.dir, "--config", filepath.Join("config", name), "--env", "development"}
	if c.opts.Security == nil {
		args = append(args, "--allow-no-auth")
	}
	cmd := exec.Command(c.server, append(args, "start", "--service", s.service)...)
	p, err := startProcess("temporal "+name, cmd, logPath)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.procs[name] = p
	c.mu.Unlock()
	c.logf("temporal: %s started (pid %d, gRPC %d, log %s)", name, cmd.Process.Pid, s.grpc, logPath)
	return nil
}

// Kill ends a server process at once (SIGKILL), as a crash would.
func (c *Cluster) Kill(name string) error {
	c.mu.Lock()
	p := c.procs[name]
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("temporal: no process %q", name)
	}
	p.stop(syscall.SIGKILL, time.Second)
	return nil
}

// Restart starts a killed server process again.
func (c *Cluster) Restart(name string) error { return c.start(name) }

// PID returns the process id of a server process.
func (c *Cluster) PID(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[name]; p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

func (c *Cluster) waitFrontend(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := func() error {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			o, err := c.ClientOptions("temporal-system", "admin", true)
			if err != nil {
				return err
			}
			cl, err := client.DialContext(cctx, o)
			if err != nil {
				return err
			}
			defer cl.Close()
			_, err = cl.CheckHealth(cctx, &client.CheckHealthRequest{})
			return err
		}()
		if err == nil {
			return nil
		}
		for name, p := range c.procs {
			if done, perr := p.exited(); done {
				return fmt.Errorf("temporal %s exited (%v); see %s:\n%s", name, perr, filepath.Join(c.dir, name+".log"), shorten(tail(filepath.Join(c.dir, name+".log"), 3), 1500))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal frontend not ready after %s: %v (logs in %s)", timeout, err, c.dir)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ensureNamespace registers the namespace with its retention, or updates
// the retention of an existing one.
func (c *Cluster) ensureNamespace(ctx context.Context) error {
	o, err := c.ClientOptions("", "admin", true)
	if err != nil {
		return err
	}
	nc, err := client.NewNamespaceClient(o)
	if err != nil {
		return err
	}
	defer nc.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        c.opts.Namespace,
			Description:                      "esenzioni per patologia",
			WorkflowExecutionRetentionPeriod: durationpb.New(c.opts.Retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err == nil || errors.As(err, &exists) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal: register namespace %s: %w", c.opts.Namespace, err)
		}
		time.Sleep(time.Second)
	}
	// The namespace cache of the frontend refreshes every few seconds.
	for {
		_, err = nc.Describe(ctx, c.opts.Namespace)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal: namespace %s not visible: %w", c.opts.Namespace, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	c.logf("temporal: namespace %s ready (retention %s)", c.opts.Namespace, c.opts.Retention)
	return nil
}

// Stop ends every server process (frontend first).
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	order := slices.Clone(c.services)
	slices.SortStableFunc(order, func(a, b clusterService) int { return rank(b.service) - rank(a.service) })
	for _, s := range order {
		if p := c.procs[s.name]; p != nil {
			p.stop(syscall.SIGTERM, 15*time.Second)
		}
	}
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
