package cns

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"esenzioni/internal/pemcert"
)

// ParseCertificates reads PEM "CERTIFICATE" blocks, or a single DER
// certificate.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	certs, isPEM, err := pemcert.Certificates(b)
	if err != nil || isPEM {
		return certs, err // nil, nil for PEM without certificates (a key, a CRL)
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{c}, nil
}

// ParseProxyHeader reads the client certificate a TLS-terminating reverse
// proxy passes in a header, in the forms proxies write it:
//   - URL-escaped PEM (nginx $ssl_client_escaped_cert; HAProxy, Caddy);
//   - PEM with its line breaks turned into spaces (Apache %{SSL_CLIENT_CERT}s
//     through RequestHeader; nginx's deprecated $ssl_client_cert);
//   - base64 DER, several comma-separated, leaf first (Traefik
//     passTLSClientCert with pem: true gives the escaped PEM instead).
//
// It returns the leaf first; an empty header is ReasonMissing.
func ParseProxyHeader(v string) ([]*x509.Certificate, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "(null)" {
		return nil, refuse(ReasonMissing, nil)
	}
	if strings.Contains(v, "%") {
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
	}
	if strings.Contains(v, "-----BEGIN CERTIFICATE-----") {
		certs, err := ParseCertificates([]byte(restorePEM(v)))
		if err != nil || len(certs) == 0 {
			return nil, refuse(ReasonMalformed, err)
		}
		return certs, nil
	}
	var out []*x509.Certificate
	for _, part := range strings.Split(v, ",") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(part), ""))
		if err != nil {
			return nil, refuse(ReasonMalformed, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, refuse(ReasonMalformed, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, refuse(ReasonMalformed, errors.New("no certificate in the header"))
	}
	return out, nil
}

// restorePEM puts back the line breaks a header lost: the base64 body of
// each block is re-wrapped, its BEGIN and END lines kept whole.
func restorePEM(s string) string {
	const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
	var b strings.Builder
	for {
		i := strings.Index(s, begin)
		if i < 0 {
			break
		}
		s = s[i+len(begin):]
		j := strings.Index(s, end)
		if j < 0 {
			break
		}
		body := strings.Join(strings.Fields(s[:j]), "")
		s = s[j+len(end):]
		b.WriteString(begin + "\n")
		for len(body) > 64 {
			b.WriteString(body[:64] + "\n")
			body = body[64:]
		}
		b.WriteString(body + "\n" + end + "\n")
	}
	return b.String()
}
