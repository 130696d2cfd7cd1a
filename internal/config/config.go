// Package config reads the application's configuration from environment
// variables. Every setting has an embedded default that works on a developer's
// machine, so `esenzioni dev` runs with no configuration at all.
package config

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of the application. Empty service
// addresses (DatabaseURL, TemporalAddress, S3Endpoint) mean "start a local one"
// for `esenzioni dev`; the other subcommands require them.
type Config struct {
	DataDir string // ESENZIONI_DATA_DIR: where `dev` keeps PostgreSQL, Temporal and MinIO data

	DatabaseURL string // DATABASE_URL: the application's role (owns nothing)
	// MigrateDatabaseURL (MIGRATE_DATABASE_URL) is the owner role's
	// connection, for `migrate` and `import catalog`; empty: DatabaseURL.
	MigrateDatabaseURL string

	TemporalAddress   string // TEMPORAL_ADDRESS, host:port
	TemporalNamespace string // TEMPORAL_NAMESPACE
	TaskQueue         string // TEMPORAL_TASK_QUEUE
	TemporalUIURL     string // TEMPORAL_UI_URL, for links and CORS of the codec endpoint

	// mTLS towards the Temporal frontend (all three files, or none).
	TemporalTLSCert       string // TEMPORAL_TLS_CERT: client certificate (PEM)
	TemporalTLSKey        string // TEMPORAL_TLS_KEY: its private key (PEM)
	TemporalTLSCA         string // TEMPORAL_TLS_CA: CA of the frontend's certificate (PEM)
	TemporalTLSServerName string // TEMPORAL_TLS_SERVER_NAME: name in the frontend's certificate
	// Worker Versioning: the Worker Deployment's name and this build's ID
	// (TEMPORAL_DEPLOYMENT_NAME, TEMPORAL_BUILD_ID); no build ID: unversioned.
	TemporalDeploymentName string
	TemporalBuildID        string
	// TemporalTokenFile holds the bearer token (a JWT) sent to the frontend's
	// authorizer (TEMPORAL_TOKEN_FILE), read again when it changes.
	TemporalTokenFile string

	S3Endpoint  string // S3_ENDPOINT, host:port
	S3AccessKey string // S3_ACCESS_KEY
	S3SecretKey string // S3_SECRET_KEY
	S3Bucket    string // S3_BUCKET
	S3UseSSL    bool   // S3_USE_SSL
	S3Region    string // S3_REGION

	SMTPAddr string // SMTP_ADDR, host:port; empty disables reminder emails
	SMTPFrom string // SMTP_FROM

	HTTPAddr string // HTTP_ADDR
	// MetricsAddr is where web and worker serve /metrics, /healthz and /livez
	// on a listener of their own (METRICS_ADDR); empty: the web server serves
	// /metrics on HTTP_ADDR and the worker serves none.
	MetricsAddr string
	LogFormat   string // LOG_FORMAT: text or json
	LogLevel    string // LOG_LEVEL: debug, info, warn or error
	PublicURL   string // PUBLIC_URL, the address users reach the web app at

	// TrustedProxies are the addresses (IPs or CIDR ranges) of the reverse
	// proxies in front of the web server (TRUSTED_PROXIES, comma separated;
	// none by default). Only requests arriving from one of them may set the
	// client address (X-Forwarded-For, X-Real-IP) and the scheme
	// (X-Forwarded-Proto: https) the application records and acts on.
	TrustedProxies []string

	CodecKey   []byte // ESENZIONI_CODEC_KEY, base64 of 32 bytes (AES-256-GCM)
	CodecKeyID string // ESENZIONI_CODEC_KEY_ID

	TrustStoreDir string // TRUST_STORE_DIR: CA certificates for signed documents

	ReminderOffsets []time.Duration // REMINDER_OFFSETS, e.g. "30d,7d"

	// SLADays is how many days an open practice may wait in its state
	// before the pages flag it "in ritardo" (SLA_DAYS).
	SLADays        int
	MaxUploadBytes int64 // MAX_UPLOAD_BYTES

	// WorkflowCacheSize is how many workflows a worker process keeps in
	// memory between their tasks (TEMPORAL_WORKFLOW_CACHE_SIZE). An evicted
	// workflow replays its short history at its next task. 2000, not the
	// SDK's 10000: exemption workflows wait months between tasks, and a
	// cache of 10000 made a worker hold 530 MB instead of 175 MB, growing
	// with the live count by fragmentation (docs/BENCHMARKS.md).
	WorkflowCacheSize int

	// Retention is how long Temporal keeps the history of a closed
	// workflow (TEMPORAL_RETENTION, at least 30 days): PostgreSQL is the
	// record of closed practices, the histories back it up for a month.
	Retention time.Duration

	// RegionalCodes are exemption codes valid in this region beyond the
	// national formats (REGIONAL_EXEMPTION_CODES, comma separated).
	RegionalCodes []string

	DemoData bool // ESENZIONI_DEMO_DATA: load demo operators, people and practices

	// Login: certificate (CNS) and SPID/CIE logins (login.go).
	Login Login
}

// DevCodecKey is the embedded development key. It is public: a real
// deployment sets ESENZIONI_CODEC_KEY.
const DevCodecKey = "ZXNlbnppb25pLWRldi1rZXktbm90LWZvci1wcm9kISE="

// Load reads the environment.
func Load() (Config, error) { return load(os.Getenv) }

// LoadFrom reads the configuration from getenv instead of the process
// environment (deployment checks feed it a rendered manifest's environment).
func LoadFrom(getenv func(string) string) (Config, error) { return load(getenv) }

func load(getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DataDir:            get("ESENZIONI_DATA_DIR", ".data"),
		DatabaseURL:        get("DATABASE_URL", ""),
		MigrateDatabaseURL: get("MIGRATE_DATABASE_URL", ""),
		TemporalAddress:    get("TEMPORAL_ADDRESS", ""),
		TemporalNamespace:  get("TEMPORAL_NAMESPACE", "default"),
		TaskQueue:          get("TEMPORAL_TASK_QUEUE", "esenzioni"),
		TemporalUIURL:      get("TEMPORAL_UI_URL", "http://localhost:8233"),
		S3Endpoint:         get("S3_ENDPOINT", ""),
		S3AccessKey:        get("S3_ACCESS_KEY", "esenzioni"),
		S3SecretKey:        get("S3_SECRET_KEY", "esenzioni-dev-secret"),
		S3Bucket:           get("S3_BUCKET", "esenzioni"),
		S3Region:           get("S3_REGION", "us-east-1"),
		SMTPAddr:           get("SMTP_ADDR", ""),
		SMTPFrom:           get("SMTP_FROM", "esenzioni@asl.example.it"),
		HTTPAddr:           get("HTTP_ADDR", "localhost:8080"),
		CodecKeyID:         get("ESENZIONI_CODEC_KEY_ID", "dev"),
		TrustStoreDir:      get("TRUST_STORE_DIR", ""),
		MetricsAddr:        get("METRICS_ADDR", ""),
		LogFormat:          strings.ToLower(get("LOG_FORMAT", "text")),
		LogLevel:           strings.ToLower(get("LOG_LEVEL", "info")),

		TemporalTLSCert:       get("TEMPORAL_TLS_CERT", ""),
		TemporalTLSKey:        get("TEMPORAL_TLS_KEY", ""),
		TemporalTLSCA:         get("TEMPORAL_TLS_CA", ""),
		TemporalTLSServerName: get("TEMPORAL_TLS_SERVER_NAME", ""),
		TemporalTokenFile:     get("TEMPORAL_TOKEN_FILE", ""),

		TemporalDeploymentName: get("TEMPORAL_DEPLOYMENT_NAME", "esenzioni"),
		TemporalBuildID:        get("TEMPORAL_BUILD_ID", ""),
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if n := countSet(c.TemporalTLSCert, c.TemporalTLSKey, c.TemporalTLSCA); n != 0 && n != 3 {
		return c, fmt.Errorf("TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY and TEMPORAL_TLS_CA go together: set all three or none")
	}
	c.PublicURL = get("PUBLIC_URL", "http://"+strings.Replace(c.HTTPAddr, "0.0.0.0", "localhost", 1))

	var err error
	if c.S3UseSSL, err = parseBool(get("S3_USE_SSL", "false")); err != nil {
		return c, fmt.Errorf("S3_USE_SSL: %w", err)
	}
	if c.DemoData, err = parseBool(get("ESENZIONI_DEMO_DATA", "true")); err != nil {
		return c, fmt.Errorf("ESENZIONI_DEMO_DATA: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(get("ESENZIONI_CODEC_KEY", DevCodecKey))
	if err != nil || len(key) != 32 {
		return c, fmt.Errorf("ESENZIONI_CODEC_KEY must be the base64 encoding of 32 bytes")
	}
	c.CodecKey = key
	if c.ReminderOffsets, err = ParseOffsets(get("REMINDER_OFFSETS", "30d,7d")); err != nil {
		return c, fmt.Errorf("REMINDER_OFFSETS: %w", err)
	}
	if c.MaxUploadBytes, err = strconv.ParseInt(get("MAX_UPLOAD_BYTES", "20971520"), 10, 64); err != nil || c.MaxUploadBytes <= 0 {
		return c, fmt.Errorf("MAX_UPLOAD_BYTES must be a positive number of bytes")
	}
	if c.SLADays, err = strconv.Atoi(get("SLA_DAYS", "30")); err != nil || c.SLADays <= 0 {
		return c, fmt.Errorf("SLA_DAYS must be a positive number of days")
	}
	if c.WorkflowCacheSize, err = strconv.Atoi(get("TEMPORAL_WORKFLOW_CACHE_SIZE", "2000")); err != nil || c.WorkflowCacheSize <= 0 {
		return c, fmt.Errorf("TEMPORAL_WORKFLOW_CACHE_SIZE must be a positive number of workflows")
	}
	if c.TrustedProxies, err = ParseProxies(get("TRUSTED_PROXIES", "")); err != nil {
		return c, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	if c.Retention, err = time.ParseDuration(get("TEMPORAL_RETENTION", "720h")); err != nil || c.Retention < 30*24*time.Hour {
		return c, fmt.Errorf("TEMPORAL_RETENTION must be a duration of at least 720h (30 days)")
	}
	if err := loadLogin(&c, get); err != nil {
		return c, err
	}
	for _, code := range List(get("REGIONAL_EXEMPTION_CODES", "93A")) {
		c.RegionalCodes = append(c.RegionalCodes, strings.ToUpper(code))
	}
	return c, nil
}

// ParseProxies reads a comma separated list of IP addresses and CIDR ranges
// (e.g. "10.0.0.0/8, 192.168.1.10"); single addresses become /32 or /128.
func ParseProxies(s string) ([]string, error) {
	var out []string
	for _, part := range List(s) {
		if strings.Contains(part, "/") {
			prefix, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR range", part)
			}
			out = append(out, prefix.Masked().String())
			continue
		}
		addr, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", part)
		}
		out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()).String())
	}
	return out, nil
}

// List splits a comma separated value into its items, trimmed, leaving
// out the empty ones.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// ParseOffsets reads a comma separated list of durations before expiry. Besides
// Go durations ("36h", "90s") it accepts whole days ("30d"), which is how
// operators think of reminders.
func ParseOffsets(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range List(s) {
		var d time.Duration
		if days, ok := strings.CutSuffix(part, "d"); ok {
			n, err := strconv.Atoi(days)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number of days", part)
			}
			d = time.Duration(n) * 24 * time.Hour
		} else {
			var err error
			if d, err = time.ParseDuration(part); err != nil {
				return nil, fmt.Errorf("%q is not a duration (use e.g. 30d or 90s)", part)
			}
		}
		if d <= 0 {
			return nil, fmt.Errorf("%q must be positive", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// MigrationURL is the connection of the schema's owner: MIGRATE_DATABASE_URL,
// or DATABASE_URL when it is not set (a single-role installation).
func (c Config) MigrationURL() string {
	if c.MigrateDatabaseURL != "" {
		return c.MigrateDatabaseURL
	}
	return c.DatabaseURL
}
