package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"esenzioni/internal/config"
)

// securityOptions adds what the production Temporal cluster asks of its
// clients: mTLS towards the frontend (TEMPORAL_TLS_CERT, _KEY, _CA and
// _SERVER_NAME) and a bearer token for the frontend's JWT authorizer
// (TEMPORAL_TOKEN_FILE, read again when the file changes, so a rotated token
// is picked up without a restart).
func securityOptions(cfg config.Config, opts *client.Options) error {
	if cfg.TemporalTLSCert != "" {
		tc, err := clientTLS(cfg)
		if err != nil {
			return err
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.TemporalTokenFile != "" {
		tok := &tokenFile{path: cfg.TemporalTokenFile}
		if _, err := tok.get(); err != nil {
			return err
		}
		opts.Credentials = client.NewAPIKeyDynamicCredentials(func(context.Context) (string, error) { return tok.get() })
	}
	return nil
}

func clientTLS(cfg config.Config) (*tls.Config, error) {
	// The certificate is read again at each handshake: a renewed one (same
	// paths) takes effect on the next connection.
	load := func() (*tls.Certificate, error) {
		c, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("temporal: client certificate %s: %w", cfg.TemporalTLSCert, err)
		}
		return &c, nil
	}
	if _, err := load(); err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(cfg.TemporalTLSCA)
	if err != nil {
		return nil, fmt.Errorf("temporal: CA %s: %w", cfg.TemporalTLSCA, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("temporal: CA %s holds no PEM certificate", cfg.TemporalTLSCA)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		ServerName: cfg.TemporalTLSServerName,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return load()
		},
	}, nil
}

// tokenFile reads a bearer token from a file, again when it changes.
type tokenFile struct {
	path string

	mu    sync.Mutex
	mod   time.Time
	token string
}

func (t *tokenFile) get() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := os.Stat(t.path)
	if err != nil {
		if t.token != "" {
			return t.token, nil // keep the last one through a rotation
		}
		return "", fmt.Errorf("temporal: token file: %w", err)
	}
	if t.token != "" && st.ModTime().Equal(t.mod) {
		return t.token, nil
	}
	data, err := os.ReadFile(t.path)
	if err != nil {
		return "", fmt.Errorf("temporal: token file: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", errors.New("temporal: token file " + t.path + " is empty")
	}
	t.token, t.mod = tok, st.ModTime()
	return tok, nil
}
