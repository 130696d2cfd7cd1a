// Package oidc logs operators in through the OpenID Connect providers that
// regional gateways put in front of SPID and CIE: authorization code flow
// with PKCE, state and nonce; the ID token verified with the provider's keys
// discovered from its issuer URL; the SPID level (acr) checked against a
// minimum; the fiscal code taken from the fiscal_number claim
// ("TINIT-<CF>"); RP-initiated logout where the provider offers it.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"esenzioni/domain/fiscalcode"
)

// Kinds of provider: they choose the button of the login page and the
// method recorded in the audit log.
const (
	KindSPID = "spid"
	KindCIE  = "cie"
)

// SPID levels (acr values) as the SPID/CIE OpenID Connect profiles name
// them.
const acrPrefix = "https://www.spid.gov.it/"

// ACR returns the acr URI of a level 1-3.
func ACR(level int) string { return fmt.Sprintf("%sSpidL%d", acrPrefix, level) }

// Level parses an acr value ("https://www.spid.gov.it/SpidL2", "SpidL2",
// "L2" or "2"); 0 when it names no SPID level.
func Level(acr string) int {
	s := strings.TrimSpace(acr)
	s = strings.TrimPrefix(s, acrPrefix)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "SpidL"), "L")
	if len(s) == 1 && s[0] >= '1' && s[0] <= '3' {
		return int(s[0] - '0')
	}
	return 0
}

// Config is one configured provider.
type Config struct {
	Name         string // in URLs and the configuration: [a-z0-9-]
	Kind         string // KindSPID or KindCIE
	Label        string // shown under the button, e.g. the gateway's name
	Issuer       string
	ClientID     string
	ClientSecret string
	// MinLevel is the lowest SPID level accepted (1-3); the request asks
	// for it as acr_values.
	MinLevel int
	// Scopes beyond "openid" (default "profile").
	Scopes []string
}

// Reasons of a refused login: stable machine codes for the audit log.
const (
	ReasonProviderError = "oidc.errore_provider" // the provider answered with an error (user cancelled, ...)
	ReasonDiscovery     = "oidc.provider_non_raggiungibile"
	ReasonExchange      = "oidc.codice_non_valido" // the code was refused (replayed, expired, PKCE)
	ReasonIDToken       = "oidc.id_token_non_valido"
	ReasonNonce         = "oidc.nonce"
	ReasonLevel         = "oidc.livello_insufficiente"
	ReasonFiscalNumber  = "oidc.codice_fiscale_assente"
	ReasonFiscalCode    = "oidc.codice_fiscale_non_valido"
)

// Error is a refused login.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string { return e.Reason + ": " + fmt.Sprint(e.Err) }
func (e *Error) Unwrap() error { return e.Err }

func refuse(reason string, err error) *Error { return &Error{Reason: reason, Err: err} }

// Provider is a configured provider, discovered on first use.
type Provider struct {
	Config
	redirectURL string
	client      *http.Client

	mu        sync.Mutex
	provider  *gooidc.Provider
	verifier  *gooidc.IDTokenVerifier // keeps the provider's keys between logins
	endSess   string
	triedAt   time.Time
	lastError error
}

// New prepares a provider; redirectURL is where it sends the browser back
// (the application's callback). client is the HTTP client for the back
// channel (nil: http.DefaultClient).
func New(cfg Config, redirectURL string, client *http.Client) *Provider {
	if client == nil {
		client = http.DefaultClient
	}
	if cfg.MinLevel == 0 {
		cfg.MinLevel = 2
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile"}
	}
	return &Provider{Config: cfg, redirectURL: redirectURL, client: client}
}

// discover fetches the provider's metadata, at most every 10 s after a
// failure (so a provider down at start-up is found once it is up).
func (p *Provider) discover() (*gooidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	if p.lastError != nil && time.Since(p.triedAt) < 10*time.Second {
		return nil, p.lastError
	}
	p.triedAt = time.Now()
	// The context carries the HTTP client; go-oidc keeps it to fetch the
	// keys later, so it must not be a request's context.
	ctx, cancel := context.WithTimeout(p.ctx(), 10*time.Second)
	defer cancel()
	prov, err := gooidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		p.lastError = refuse(ReasonDiscovery, err)
		return nil, p.lastError
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = prov.Claims(&meta)
	p.provider, p.endSess, p.lastError = prov, meta.EndSession, nil
	p.verifier = prov.VerifierContext(p.ctx(), &gooidc.Config{ClientID: p.ClientID})
	return prov, nil
}

func (p *Provider) ctx() context.Context {
	return gooidc.ClientContext(context.Background(), p.client)
}

func (p *Provider) oauth2(prov *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: prov.Endpoint(),
		RedirectURL: p.redirectURL, Scopes: append([]string{gooidc.ScopeOpenID}, p.Scopes...),
	}
}

// AuthURL builds the authorization request (code flow, PKCE S256, state,
// nonce, acr_values = the minimum level).
func (p *Provider) AuthURL(state, nonce, verifier string) (string, error) {
	prov, err := p.discover()
	if err != nil {
		return "", err
	}
	return p.oauth2(prov).AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("acr_values", ACR(p.MinLevel)), oauth2.SetAuthURLParam("prompt", "login")), nil
}

// Result is a verified login.
type Result struct {
	FiscalCode string
	Level      int
	IDToken    string // raw, for the logout's id_token_hint only
}

// claims the application reads. fiscal_number is the SPID/CIE attribute; a
// gateway may use the attribute's URI as the claim name.
type claims struct {
	ACR            string `json:"acr"`
	FiscalNumber   string `json:"fiscal_number"`
	FiscalNumberEU string `json:"https://attributes.eid.gov.it/fiscal_number"`
}

func (c claims) fiscalNumber() string {
	if c.FiscalNumber != "" {
		return c.FiscalNumber
	}
	return c.FiscalNumberEU
}

// Exchange redeems the code (with the PKCE verifier), verifies the ID token
// (signature with the discovered keys, issuer, audience, expiry, nonce) and
// checks the level and the fiscal code.
func (p *Provider) Exchange(ctx context.Context, code, pkceVerifier, nonce string) (Result, error) {
	prov, err := p.discover()
	if err != nil {
		return Result{}, err
	}
	ctx = gooidc.ClientContext(ctx, p.client)
	tok, err := p.oauth2(prov).Exchange(ctx, code, oauth2.VerifierOption(pkceVerifier))
	if err != nil {
		return Result{}, refuse(ReasonExchange, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Result{}, refuse(ReasonIDToken, errors.New("no id_token in the token response"))
	}
	p.mu.Lock()
	verifier := p.verifier
	p.mu.Unlock()
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return Result{}, refuse(ReasonIDToken, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return Result{}, refuse(ReasonNonce, errors.New("nonce mismatch"))
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return Result{}, refuse(ReasonIDToken, err)
	}
	level := Level(c.ACR)
	if level < p.MinLevel {
		return Result{Level: level}, refuse(ReasonLevel, fmt.Errorf("acr %q below level %d", c.ACR, p.MinLevel))
	}
	fn := c.fiscalNumber()
	if fn == "" && prov.UserInfoEndpoint() != "" {
		// Some gateways release the attributes only at the userinfo
		// endpoint.
		if ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			var uc claims
			if ui.Claims(&uc) == nil {
				fn = uc.fiscalNumber()
			}
		}
	}
	res := Result{Level: level, IDToken: raw}
	if fn == "" {
		return res, refuse(ReasonFiscalNumber, errors.New("no fiscal_number claim"))
	}
	cf, err := fiscalCodeOf(fn)
	if err != nil {
		return res, refuse(ReasonFiscalCode, err)
	}
	res.FiscalCode = cf
	return res, nil
}

// fiscalCodeOf reads the fiscal_number attribute ("TINIT-<CF>", any case)
// as a checked fiscal code.
func fiscalCodeOf(fiscalNumber string) (string, error) {
	cf := strings.ToUpper(strings.TrimSpace(fiscalNumber))
	cf = strings.TrimPrefix(cf, "TINIT-")
	code, err := fiscalcode.Parse(cf, nil)
	if err != nil {
		return "", err
	}
	return code.Normalized, nil
}

// LogoutURL is the provider's end-session URL for RP-initiated logout, or ""
// when the provider offers none.
func (p *Provider) LogoutURL(idTokenHint, postLogout, state string) string {
	if _, err := p.discover(); err != nil || p.endSess == "" {
		return ""
	}
	u, err := url.Parse(p.endSess)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	q.Set("client_id", p.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
