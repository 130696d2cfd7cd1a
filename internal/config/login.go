package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Login configures the ways in besides username, password and PIN: the
// certificate of a CNS/TS-CNS card and the OpenID Connect providers of SPID
// and CIE. Every one is off unless configured (`esenzioni dev` configures a
// demo CA and a local provider).
type Login struct {
	// CNSCADir enables certificate login: the CAs (PEM files) the
	// operators' certificates must chain to (CNS_CA_DIR).
	CNSCADir string
	// CNSCRLDir holds the CAs' CRL files, read again when they change
	// (CNS_CRL_DIR).
	CNSCRLDir string
	// CNSOCSPURL is an OCSP responder, or "aia" for the one the certificate
	// names (CNS_OCSP_URL).
	CNSOCSPURL string
	// CNSTLSAddr is the dedicated HTTPS listener that asks the browser for
	// its certificate (CNS_TLS_ADDR, e.g. ":8443"), with its server
	// certificate and key (CNS_TLS_CERT, CNS_TLS_KEY).
	CNSTLSAddr, CNSTLSCert, CNSTLSKey string
	// CNSLoginURL is the address the certificate box's "Accedi" sends the
	// browser to (CNS_LOGIN_URL): the dedicated listener, or the path a
	// TLS-terminating proxy asks for the certificate on.
	CNSLoginURL string
	// CNSProxyHeader is the header in which a trusted reverse proxy passes
	// the verified client certificate (CNS_PROXY_HEADER), honoured only
	// from CNSTrustedProxies (CNS_TRUSTED_PROXIES, addresses or CIDRs).
	CNSProxyHeader    string
	CNSTrustedProxies []*net.IPNet

	// Providers are the OpenID Connect providers (OIDC_PROVIDERS), in the
	// order of the login page.
	Providers []Provider
}

// Provider is one OpenID Connect provider: OIDC_<NAME>_ISSUER,
// _CLIENT_ID, _CLIENT_SECRET, _KIND (spid or cie; default the name when it
// is one of them), _LABEL, _MIN_LEVEL (1-3, default 2), _SCOPES.
type Provider struct {
	Name, Kind, Label              string
	Issuer, ClientID, ClientSecret string
	MinLevel                       int
	Scopes                         []string
}

// CertificateLogin reports whether certificate login is configured.
func (l Login) CertificateLogin() bool { return l.CNSCADir != "" }

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

func loadLogin(c *Config, get func(key, def string) string) error {
	l := &c.Login
	l.CNSCADir = get("CNS_CA_DIR", "")
	l.CNSCRLDir = get("CNS_CRL_DIR", "")
	l.CNSOCSPURL = get("CNS_OCSP_URL", "")
	l.CNSTLSAddr = get("CNS_TLS_ADDR", "")
	l.CNSTLSCert = get("CNS_TLS_CERT", "")
	l.CNSTLSKey = get("CNS_TLS_KEY", "")
	l.CNSProxyHeader = get("CNS_PROXY_HEADER", "")
	l.CNSLoginURL = get("CNS_LOGIN_URL", "")
	if l.CNSTLSAddr != "" && (l.CNSTLSCert == "" || l.CNSTLSKey == "") {
		return fmt.Errorf("CNS_TLS_ADDR needs the listener's certificate and key: set CNS_TLS_CERT and CNS_TLS_KEY")
	}
	for _, part := range List(get("CNS_TRUSTED_PROXIES", "")) {
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return fmt.Errorf("CNS_TRUSTED_PROXIES: %q is not an address or CIDR", part)
		}
		l.CNSTrustedProxies = append(l.CNSTrustedProxies, n)
	}
	if l.CNSProxyHeader != "" && len(l.CNSTrustedProxies) == 0 {
		return fmt.Errorf("CNS_PROXY_HEADER needs CNS_TRUSTED_PROXIES: the addresses of the proxies allowed to set it")
	}
	if l.CNSCADir != "" && l.CNSTLSAddr == "" && l.CNSProxyHeader == "" {
		return fmt.Errorf("CNS_CA_DIR turns on certificate login, which needs the listener that asks for the certificate (CNS_TLS_ADDR, CNS_TLS_CERT, CNS_TLS_KEY) or a proxy that passes it (CNS_PROXY_HEADER, CNS_TRUSTED_PROXIES)")
	}
	if l.CNSCADir != "" && l.CNSLoginURL == "" {
		l.CNSLoginURL = DefaultCNSLoginURL(c.PublicURL, l.CNSTLSAddr)
	}
	for _, name := range strings.Split(get("OIDC_PROVIDERS", ""), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !providerName.MatchString(name) {
			return fmt.Errorf("OIDC_PROVIDERS: %q is not a valid name (lower-case letters, digits, '-')", name)
		}
		env := "OIDC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
		p := Provider{Name: name, Issuer: get(env+"ISSUER", ""), ClientID: get(env+"CLIENT_ID", ""),
			ClientSecret: get(env+"CLIENT_SECRET", ""), Label: get(env+"LABEL", "")}
		if p.Issuer == "" || p.ClientID == "" {
			return fmt.Errorf("OIDC provider %s: set %sISSUER and %sCLIENT_ID", name, env, env)
		}
		if _, err := url.Parse(p.Issuer); err != nil {
			return fmt.Errorf("%sISSUER: %w", env, err)
		}
		def := "spid"
		if name == "cie" || strings.HasPrefix(name, "cie-") {
			def = "cie"
		}
		p.Kind = strings.ToLower(get(env+"KIND", def))
		if p.Kind != "spid" && p.Kind != "cie" {
			return fmt.Errorf("%sKIND must be spid or cie, not %q", env, p.Kind)
		}
		lv := strings.TrimPrefix(strings.TrimPrefix(get(env+"MIN_LEVEL", "2"), "https://www.spid.gov.it/"), "SpidL")
		if len(lv) != 1 || lv[0] < '1' || lv[0] > '3' {
			return fmt.Errorf("%sMIN_LEVEL must be 1, 2 or 3 (SpidL1-3)", env)
		}
		p.MinLevel = int(lv[0] - '0')
		for _, s := range strings.Fields(strings.ReplaceAll(get(env+"SCOPES", "profile"), ",", " ")) {
			p.Scopes = append(p.Scopes, s)
		}
		for _, q := range l.Providers {
			if q.Name == name {
				return fmt.Errorf("OIDC_PROVIDERS names %s twice", name)
			}
		}
		l.Providers = append(l.Providers, p)
	}
	return nil
}

// DefaultCNSLoginURL is the certificate endpoint on the dedicated listener
// (the public host with the listener's port), or under the public URL when
// a proxy asks for the certificate.
func DefaultCNSLoginURL(publicURL, tlsAddr string) string {
	const path = "/login/certificato/tls"
	u, err := url.Parse(publicURL)
	if err != nil {
		return strings.TrimRight(publicURL, "/") + path
	}
	if tlsAddr == "" {
		return strings.TrimRight(publicURL, "/") + path
	}
	_, port, err := net.SplitHostPort(tlsAddr)
	if err != nil {
		port = "8443"
	}
	return "https://" + net.JoinHostPort(u.Hostname(), port) + path
}
