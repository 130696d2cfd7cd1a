// Command oidcprovider is a local OpenID Connect provider for development and
// tests: it plays the SPID and the CIE identity providers of a regional
// gateway for the demo operators. `esenzioni dev` and `esenzioni testenv`
// start it like the Temporal dev server; it is never part of a deployment.
//
// Two issuers, on one port: PUBLIC/spid and PUBLIC/cie. Each offers the
// authorization code flow with PKCE (zitadel/oidc's op package), a login page
// listing the users of the -users file with the SPID level to authenticate
// with (SpidL1-3; the requested acr_values preselected, a lower one may be
// chosen to try refusals), ID tokens signed with a key made at start-up and
// carrying acr and the SPID attribute fiscal_number ("TINIT-<CF>"), the
// userinfo endpoint, and RP-initiated logout (end_session_endpoint). Codes
// serve once.
//
// With -ui-client-id it also registers a second confidential client, the
// Temporal Web UI of `esenzioni cluster`: for that client only, the access
// token is a JWT (signed with the same key, published at ISSUER/keys)
// carrying the claim "permissions" of the user's entry in the -users file
// (e.g. ["esenzioni:write"] for a supervisor), which the Temporal frontend's
// default JWT claim mapper reads. Users without permissions get tokens
// without the claim, and the application's client never gets it.
//
//	oidcprovider -addr 127.0.0.1:9998 -users users.json \
//	    -client-id esenzioni -client-secret esenzioni-dev-secret \
//	    [-ui-client-id temporal-ui -ui-client-secret S]
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/text/language"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an identity the provider can authenticate.
type User struct {
	FiscalCode  string `json:"fiscal_code"`
	GivenName   string `json:"given_name"`
	FamilyName  string `json:"family_name"`
	Description string `json:"description"`
	// Permissions go into the access tokens issued to the Temporal UI's
	// client (claim "permissions", Temporal's "<namespace>:<role>").
	Permissions []string `json:"permissions,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9998", "listen address")
	public := flag.String("public", "", "public base URL (default http://ADDR, with localhost for 127.0.0.1)")
	usersFile := flag.String("users", "", "JSON file: [{fiscal_code, given_name, family_name, description}]")
	clientID := flag.String("client-id", "esenzioni", "client id of the application")
	clientSecret := flag.String("client-secret", "esenzioni-dev-secret", "client secret of the application")
	redirects := flag.String("redirect-globs", "http://localhost:*/login/oidc/*/callback,http://127.0.0.1:*/login/oidc/*/callback",
		"comma separated globs (path.Match) of the accepted redirect URIs")
	logouts := flag.String("post-logout-globs", "http://localhost:*/login,http://127.0.0.1:*/login",
		"comma separated globs of the accepted post-logout redirect URIs")
	uiClientID := flag.String("ui-client-id", "", "client id of the Temporal Web UI (empty: no such client)")
	uiClientSecret := flag.String("ui-client-secret", "", "client secret of the Temporal Web UI")
	uiRedirects := flag.String("ui-redirect-globs", "http://localhost:*/auth/sso/callback,http://127.0.0.1:*/auth/sso/callback",
		"comma separated globs of the Temporal Web UI's redirect URIs")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	clients := []*client{{id: *clientID, secret: *clientSecret, redirectGlobs: split(*redirects), logoutGlobs: split(*logouts),
		tokenLifetime: 5 * time.Minute}}
	if *uiClientID != "" {
		if *uiClientSecret == "" {
			fmt.Fprintln(os.Stderr, "oidcprovider: -ui-client-id needs -ui-client-secret")
			os.Exit(2)
		}
		// The UI has no refresh: its user logs in again when the token expires.
		clients = append(clients, &client{id: *uiClientID, secret: *uiClientSecret, redirectGlobs: split(*uiRedirects),
			tokenLifetime: time.Hour, temporalUI: true})
	}
	if err := run(*addr, *public, *usersFile, clients); err != nil {
		fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(addr, public, usersFile string, clients []*client) error {
	var users []User
	if usersFile != "" {
		b, err := os.ReadFile(usersFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &users); err != nil {
			return fmt.Errorf("%s: %w", usersFile, err)
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if public == "" {
		public = "http://" + strings.Replace(l.Addr().String(), "127.0.0.1", "localhost", 1)
	}
	public = strings.TrimRight(public, "/")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	signing := &signingKey{id: randomID(), key: key}
	mux := http.NewServeMux()
	for _, kind := range []string{"spid", "cie"} {
		var cs []*client
		for _, c := range clients {
			c := *c
			c.prefix = "/" + kind
			cs = append(cs, &c)
		}
		st := newStorage(kind, users, signing, cs)
		h, err := newIssuer(public+"/"+kind, st)
		if err != nil {
			return err
		}
		mux.Handle("/"+kind+"/", http.StripPrefix("/"+kind, h))
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Provider OpenID Connect di sviluppo\n\nSPID: %s/spid\nCIE:  %s/cie\n", public, public)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	slog.Info("oidc provider ready", "spid", public+"/spid", "cie", public+"/cie", "users", len(users))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// newIssuer builds one issuer: the OpenID provider and its login page.
func newIssuer(issuer string, st *storage) (http.Handler, error) {
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, err
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: "/" + st.kind + "/uscita",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedUILocales:       []language.Tag{language.Italian},
		SupportedClaims:          append(op.DefaultSupportedClaims, "fiscal_number"),
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, err
	}
	callback := op.AuthCallbackURL(provider)
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /accesso", func(w http.ResponseWriter, r *http.Request) { st.loginPage(w, r, "") })
	mux.HandleFunc("POST /accesso", interceptor.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.loginSubmit(w, r, callback)
	}))
	mux.HandleFunc("GET /uscita", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="it"><title>Uscita</title><body><p id="uscita">Sei uscito dal gestore di identità di prova.</p></body></html>`))
	})
	mux.Handle("/", provider)
	return mux, nil
}

// --- login page -------------------------------------------------------------

var page = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:"Titillium Web",Helvetica,Arial,sans-serif;max-width:40rem;margin:2rem auto;color:#17324d}
h1{color:#06c;font-size:1.5rem}label{display:block;padding:.4rem 0}.err{color:#a00}button{background:#06c;color:#fff;border:0;padding:.6rem 1.4rem;font-weight:600}
button.annulla{background:#fff;color:#06c;border:1px solid #06c}</style></head>
<body><h1>{{.Title}}</h1>
<p>Gestore di identità di prova: scegli l'utente con cui entrare e il livello di sicurezza. Solo per sviluppo e test.</p>
{{with .Error}}<p class="err" id="errore">{{.}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="id" value="{{.ID}}">
<fieldset><legend>Utente</legend>
{{range $i, $u := .Users}}<label><input type="radio" name="cf" value="{{$u.FiscalCode}}" id="utente-{{$u.FiscalCode}}"{{if eq $i 0}} checked{{end}}> {{$u.GivenName}} {{$u.FamilyName}} · {{$u.FiscalCode}}{{with $u.Description}} · {{.}}{{end}}</label>
{{end}}</fieldset>
<p><label for="livello">Livello di sicurezza</label>
<select name="livello" id="livello">{{range .Levels}}<option value="{{.}}"{{if eq . $.Level}} selected{{end}}>SpidL{{.}}</option>{{end}}</select></p>
<p><button type="submit" name="azione" value="entra" id="entra">Entra</button>
<button type="submit" name="azione" value="annulla" id="annulla" class="annulla">Annulla</button></p>
</form></body></html>`))

// pending returns the authentication request id, or answers 400 and
// returns nil when there is none.
func (s *storage) pending(w http.ResponseWriter, id string) *authRequest {
	s.mu.Lock()
	req := s.requests[id]
	s.mu.Unlock()
	if req == nil {
		http.Error(w, "richiesta di autenticazione sconosciuta o scaduta", http.StatusBadRequest)
	}
	return req
}

func (s *storage) loginPage(w http.ResponseWriter, r *http.Request, msg string) {
	id := r.FormValue("authRequestID")
	if id == "" {
		id = r.FormValue("id")
	}
	req := s.pending(w, id)
	if req == nil {
		return
	}
	title := "Entra con SPID — gestore di prova"
	if s.kind == "cie" {
		title = "Entra con CIE — servizio di prova"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, map[string]any{
		"Title": title, "Error": msg, "ID": id, "Users": s.users, "Levels": []int{1, 2, 3},
		"Level": req.requestedLevel, "Action": "/" + s.kind + "/accesso",
	})
}

func (s *storage) loginSubmit(w http.ResponseWriter, r *http.Request, callback func(context.Context, string) string) {
	id := r.FormValue("id")
	req := s.pending(w, id)
	if req == nil {
		return
	}
	if r.FormValue("azione") == "annulla" {
		u, err := url.Parse(req.RedirectURI)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q := u.Query()
		q.Set("error", "access_denied")
		q.Set("error_description", "autenticazione annullata dall'utente")
		q.Set("state", req.State)
		u.RawQuery = q.Encode()
		s.mu.Lock()
		delete(s.requests, id)
		s.mu.Unlock()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	user := s.userByFiscalCode(r.FormValue("cf"))
	level := 0
	if lv := r.FormValue("livello"); len(lv) == 1 && lv[0] >= '1' && lv[0] <= '3' {
		level = int(lv[0] - '0')
	}
	if user == nil || level == 0 {
		s.loginPage(w, r, "Scegli un utente e un livello.")
		return
	}
	s.mu.Lock()
	req.subject = subject(s.kind, user.FiscalCode)
	req.level = level
	req.authTime = time.Now()
	req.done = true
	s.mu.Unlock()
	slog.Info("authenticated", "issuer", s.kind, "level", level)
	http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
}

// subject is a pairwise-looking stable identifier, as SPID gateways give.
func subject(kind, fc string) string {
	sum := sha256.Sum256([]byte(kind + ":" + fc))
	return hex.EncodeToString(sum[:16])
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// --- storage ----------------------------------------------------------------

type storage struct {
	kind    string
	users   []User
	key     *signingKey
	clients []*client

	mu       sync.Mutex
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	tokens   map[string]*accessToken
}

func newStorage(kind string, users []User, key *signingKey, clients []*client) *storage {
	return &storage{kind: kind, users: users, key: key, clients: clients,
		requests: map[string]*authRequest{}, codes: map[string]string{}, tokens: map[string]*accessToken{}}
}

func (s *storage) userByFiscalCode(fc string) *User {
	for i := range s.users {
		if s.users[i].FiscalCode == fc {
			return &s.users[i]
		}
	}
	return nil
}

func (s *storage) userBySubject(sub string) *User {
	for i := range s.users {
		if subject(s.kind, s.users[i].FiscalCode) == sub {
			return &s.users[i]
		}
	}
	return nil
}

type authRequest struct {
	oidc.AuthRequest
	id             string
	created        time.Time
	requestedLevel int
	level          int
	subject        string
	authTime       time.Time
	done           bool
}

func (a *authRequest) GetID() string { return a.id }
func (a *authRequest) GetACR() string {
	if a.level == 0 {
		return ""
	}
	return fmt.Sprintf("https://www.spid.gov.it/SpidL%d", a.level)
}
func (a *authRequest) GetAMR() []string                   { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string              { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time             { return a.authTime }
func (a *authRequest) GetClientID() string                { return a.ClientID }
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: a.CodeChallengeMethod}
}

type accessToken struct {
	id, subject, clientID string
	scopes                []string
	expires               time.Time
}

var errNotFound = errors.New("not found")

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if len(r.Prompt) == 1 && r.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	level := 2
	for _, acr := range r.ACRValues {
		if n := strings.TrimPrefix(acr, "https://www.spid.gov.it/SpidL"); len(n) == 1 && n[0] >= '1' && n[0] <= '3' {
			level = int(n[0] - '0')
		}
	}
	req := &authRequest{AuthRequest: *r, id: randomID(), created: time.Now(), requestedLevel: level}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.requests { // forget abandoned requests
		if time.Since(old.created) > 30*time.Minute {
			delete(s.requests, id)
		}
	}
	s.requests[req.id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid, expired or already used")
	}
	r, err := s.AuthRequestByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if time.Since(r.(*authRequest).authTime) > 10*time.Minute {
		return nil, errors.New("code expired")
	}
	return r, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs once the code was exchanged: the code serves once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	clientID := ""
	if ar, ok := r.(*authRequest); ok {
		clientID = ar.ClientID
	}
	lifetime := 5 * time.Minute
	if c := s.clientByID(clientID); c != nil {
		lifetime = c.tokenLifetime
	}
	t := &accessToken{id: randomID(), subject: r.GetSubject(), clientID: clientID, scopes: r.GetScopes(), expires: time.Now().Add(lifetime)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t.id] = t
	return t.id, t.expires, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tokenOrID)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}
func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s.key}}, nil }

func (s *storage) clientByID(id string) *client {
	for _, c := range s.clients {
		if c.id == id {
			return c
		}
	}
	return nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c := s.clientByID(id); c != nil {
		return c, nil
	}
	return nil, errors.New("client not found")
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c := s.clientByID(id)
	if c == nil || subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return errors.New("invalid client credentials")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	if err := s.setUserinfo(ui, r.GetSubject()); err != nil {
		return err
	}
	if c := s.clientByID(r.GetClientID()); c != nil && c.temporalUI {
		ui.Name = ui.GivenName + " " + ui.FamilyName // shown by the UI
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		return errors.New("token invalid or expired")
	}
	return s.setUserinfo(ui, t.subject)
}

func (s *storage) setUserinfo(ui *oidc.UserInfo, sub string) error {
	u := s.userBySubject(sub)
	if u == nil {
		return errors.New("user not found")
	}
	ui.Subject = sub
	ui.GivenName = u.GivenName
	ui.FamilyName = u.FamilyName
	ui.AppendClaims("fiscal_number", "TINIT-"+u.FiscalCode)
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection not supported")
}

// GetPrivateClaimsFromScopes adds, to the JWT access tokens of the Temporal
// UI's client only, the user's Temporal permissions.
func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, sub, clientID string, _ []string) (map[string]any, error) {
	c := s.clientByID(clientID)
	if c == nil || !c.temporalUI {
		return nil, nil
	}
	u := s.userBySubject(sub)
	if u == nil {
		return nil, errors.New("user not found")
	}
	claims := map[string]any{"name": u.GivenName + " " + u.FamilyName}
	if len(u.Permissions) > 0 {
		claims["permissions"] = u.Permissions
	}
	return claims, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("jwt profile not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// --- keys -------------------------------------------------------------------

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

// --- client -----------------------------------------------------------------

// client is the application, or the Temporal Web UI (confidential web
// clients, HTTP allowed: development only).
type client struct {
	id, secret                 string
	redirectGlobs, logoutGlobs []string
	prefix                     string // the issuer's path, for the login page URL
	tokenLifetime              time.Duration
	// temporalUI: access tokens are JWTs with the user's permissions.
	temporalUI bool
}

func (c *client) GetID() string                        { return c.id }
func (c *client) RedirectURIs() []string               { return nil }
func (c *client) PostLogoutRedirectURIs() []string     { return nil }
func (c *client) RedirectURIGlobs() []string           { return c.redirectGlobs }
func (c *client) PostLogoutRedirectURIGlobs() []string { return c.logoutGlobs }
func (c *client) ApplicationType() op.ApplicationType  { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod          { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string {
	return c.prefix + "/accesso?authRequestID=" + url.QueryEscape(id)
}
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.temporalUI {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return time.Hour }
func (c *client) DevMode() bool                  { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
