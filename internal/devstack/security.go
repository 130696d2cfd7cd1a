package devstack

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"esenzioni/internal/testpki"
	"go.temporal.io/sdk/client"
)

// Security is what `esenzioni cluster` makes for the Temporal cluster's
// production form, in DataDir/tls (made once, kept across restarts):
//
//   - a CA, and certificates signed by it: the frontend's (server), the
//     services' among themselves (internode, mutual), and client
//     certificates for the application and for supervisors; the frontend
//     requires a client certificate of this CA (mTLS);
//   - an RSA key whose public half the frontend's JWT authorizer fetches
//     (JWKS, served on loopback), and tokens signed with it: the
//     application's and each named supervisor's may start, signal and
//     update the namespace's workflows ("<namespace>:write"); the admin
//     token (system:admin) is for setting the cluster up. A call without a
//     token is refused by the frontend.
type Security struct {
	Dir       string
	Namespace string
	JWKSURL   string
	jwks      *http.Server
}

// Supervisors named in the demo set-up, each with a token.
var Supervisors = []string{"supervisore.rossi", "supervisore.bianchi"}

// Paths of the material.
func (s *Security) path(name string) string { return filepath.Join(s.Dir, name) }

// CA is the CA certificate (PEM).
func (s *Security) CA() string { return s.path("ca.pem") }

// ClientCert and ClientKey are the certificate and key of a client (app,
// supervisor).
func (s *Security) ClientCert(who string) string { return s.path(who + ".pem") }

// ClientKey is the key of ClientCert.
func (s *Security) ClientKey(who string) string { return s.path(who + "-key.pem") }

// Token is the file of a named token (app, admin, a supervisor).
func (s *Security) Token(who string) string { return s.path(who + ".jwt") }

// FrontendServerName is the name in the frontend's certificate.
const FrontendServerName = "temporal-frontend"

// internodeServerName is the name in the services' certificate.
const internodeServerName = "temporal-internode"

// NewSecurity makes (or finds) the material in dir and serves the JWKS on
// a loopback port.
func NewSecurity(dir, namespace string, jwksPort int) (*Security, error) {
	s := &Security{Dir: dir, Namespace: namespace}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.CA()); err != nil {
		if err := s.make(); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	if err := s.serveJWKS(jwksPort); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Security) make() error {
	ca, err := testpki.NewDevCA("esenzioni cluster CA")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.CA(), testpki.CertPEM(ca.Cert), 0o600); err != nil {
		return err
	}
	now := time.Now()
	issue := func(name, cn string, dns []string, usage []x509.ExtKeyUsage) error {
		tmpl := &x509.Certificate{
			Subject:   pkix.Name{CommonName: cn, Organization: []string{"esenzioni"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(2, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage, DNSNames: dns,
		}
		if len(dns) > 0 {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		c, err := ca.Issue(tmpl)
		if err != nil {
			return err
		}
		return testpki.WritePair(s.ClientCert(name), s.ClientKey(name), c.Cert, c.Key)
	}
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if err := issue("frontend", FrontendServerName, []string{FrontendServerName, "localhost"}, both); err != nil {
		return err
	}
	if err := issue("internode", internodeServerName, []string{internodeServerName, "localhost"}, both); err != nil {
		return err
	}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	for _, who := range append([]string{"app", "admin", "estraneo"}, Supervisors...) {
		if err := issue(who, who, nil, client); err != nil {
			return err
		}
	}
	// The JWT signing key and the tokens.
	jwtKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	jwtPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(jwtKey)})
	if err := os.WriteFile(s.path("jwt-signing-key.pem"), jwtPEM, 0o600); err != nil {
		return err
	}
	tokens := map[string][]string{
		"app":   {s.Namespace + ":write"},
		"admin": {"temporal-system:admin"},
		// Somebody with a valid token for another namespace only.
		"estraneo": {"altro:write"},
	}
	for _, who := range Supervisors {
		tokens[who] = []string{s.Namespace + ":write"}
	}
	for who, perms := range tokens {
		tok, err := signJWT(jwtKey, map[string]any{
			"sub": who, "permissions": perms, "iat": now.Unix(), "exp": now.AddDate(1, 0, 0).Unix(),
		})
		if err != nil {
			return err
		}
		if err := os.WriteFile(s.Token(who), []byte(tok+"\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

const jwtKeyID = "esenzioni-cluster"

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signJWT makes an RS256 JSON Web Token.
func signJWT(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": jwtKeyID})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + b64(sig), nil
}

// serveJWKS serves the public signing key as a JWKS for the frontend.
func (s *Security) serveJWKS(port int) error {
	data, err := os.ReadFile(s.path("jwt-signing-key.pem"))
	if err != nil {
		return err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return errors.New("tls: bad JWT signing key")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return err
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": jwtKeyID,
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("jwks: cannot listen on 127.0.0.1:%d: %w", port, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	})
	s.jwks = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.jwks.Serve(ln) }()
	s.JWKSURL = "http://" + ln.Addr().String() + "/jwks.json"
	return nil
}

// Close stops the JWKS server.
func (s *Security) Close() {
	if s != nil && s.jwks != nil {
		_ = s.jwks.Close()
	}
}

// TLSConfig is a client TLS configuration with the certificate of who.
func (s *Security) TLSConfig(who string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(s.ClientCert(who), s.ClientKey(who))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(s.CA())
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: FrontendServerName, MinVersion: tls.VersionTLS12}, nil
}

// ClientOptions are SDK client options for who (app, admin, a supervisor):
// its certificate and, unless token is false, its token.
func (s *Security) ClientOptions(address, namespace, who string, token bool) (client.Options, error) {
	o := client.Options{HostPort: address, Namespace: namespace}
	if s == nil {
		return o, nil
	}
	tc, err := s.TLSConfig(who)
	if err != nil {
		return o, err
	}
	o.ConnectionOptions.TLS = tc
	if token {
		data, err := os.ReadFile(s.Token(who))
		if err != nil {
			return o, err
		}
		o.Credentials = client.NewAPIKeyStaticCredentials(strings.TrimSpace(string(data)))
	}
	return o, nil
}
