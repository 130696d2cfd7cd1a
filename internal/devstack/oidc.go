package devstack

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// OIDCUser is an identity the local provider offers on its login page.
type OIDCUser struct {
	FiscalCode  string `json:"fiscal_code"`
	GivenName   string `json:"given_name"`
	FamilyName  string `json:"family_name"`
	Description string `json:"description"`
	// Permissions (Temporal's "<namespace>:<role>") go into the access
	// tokens the provider issues to the Temporal UI's client only.
	Permissions []string `json:"permissions,omitempty"`
}

// OIDCOptions configures the local OpenID Connect provider
// (tools/oidcprovider), which plays SPID and CIE for development and tests.
type OIDCOptions struct {
	Binary       string // path to `oidcprovider`
	Port         int    // 0 = a free port
	Users        []OIDCUser
	ClientID     string
	ClientSecret string
	Dir          string // users file and log
	// UIClientID and UIClientSecret register the Temporal Web UI as a
	// second client (empty: none); its access tokens are JWTs with the
	// users' Permissions.
	UIClientID, UIClientSecret string
}

// OIDC is a running local provider.
type OIDC struct {
	Port                   int
	ClientID, ClientSecret string
	proc                   *process
}

// BaseURL is the provider's address; the issuers are BaseURL/spid and
// BaseURL/cie.
func (o *OIDC) BaseURL() string { return "http://localhost:" + strconv.Itoa(o.Port) }

// Issuer is the issuer URL of kind ("spid" or "cie").
func (o *OIDC) Issuer(kind string) string { return o.BaseURL() + "/" + kind }

// JWKSURL is where the issuer of kind publishes its signing keys (the same
// key for both issuers), on loopback.
func (o *OIDC) JWKSURL(kind string) string {
	return "http://127.0.0.1:" + strconv.Itoa(o.Port) + "/" + kind + "/keys"
}

// StartOIDC starts the local provider and waits until it answers.
func StartOIDC(ctx context.Context, opts OIDCOptions) (*OIDC, error) {
	return retryPortClash("oidc provider", func() (*OIDC, error) { return startOIDCOnce(ctx, opts) })
}

func startOIDCOnce(ctx context.Context, opts OIDCOptions) (*OIDC, error) {
	port, err := choosePort("oidc provider", "ESENZIONI_OIDC_PORT", opts.Port)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	users, err := json.MarshalIndent(opts.Users, "", "  ")
	if err != nil {
		return nil, err
	}
	usersFile := filepath.Join(opts.Dir, "oidc-users.json")
	if err := os.WriteFile(usersFile, users, 0o644); err != nil {
		return nil, err
	}
	args := []string{
		"-addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"-public", "http://localhost:" + strconv.Itoa(port),
		"-users", usersFile,
		"-client-id", opts.ClientID, "-client-secret", opts.ClientSecret,
	}
	if opts.UIClientID != "" {
		args = append(args, "-ui-client-id", opts.UIClientID, "-ui-client-secret", opts.UIClientSecret)
	}
	logPath := filepath.Join(opts.Dir, "oidc.log")
	proc, err := startProcess("oidc provider", exec.Command(opts.Binary, args...), logPath)
	if err != nil {
		return nil, err
	}
	o := &OIDC{Port: port, ClientID: opts.ClientID, ClientSecret: opts.ClientSecret, proc: proc}
	err = waitReady(ctx, proc, logPath, 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, o.Issuer("spid")+"/.well-known/openid-configuration")
	})
	if err != nil {
		o.Stop()
		return nil, err
	}
	return o, nil
}

// Stop stops the provider.
func (o *OIDC) Stop() {
	if o != nil {
		o.proc.stop(syscall.SIGTERM, 5*time.Second)
	}
}
