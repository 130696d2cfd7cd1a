package cns

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ocspChecker asks an OCSP responder about a certificate. It fails closed:
// a responder that cannot be reached, or answers "unknown", refuses the
// login (ReasonRevocation), since a revoked card must not get in while the
// responder is down.
type ocspChecker struct {
	url     string // "aia": the responder named in the certificate
	timeout time.Duration
	client  *http.Client
}

func (o *ocspChecker) check(ctx context.Context, cert, issuer *x509.Certificate) error {
	url := o.url
	if url == "aia" {
		if len(cert.OCSPServer) == 0 {
			return refuse(ReasonRevocation, errors.New("the certificate names no OCSP responder"))
		}
		url = cert.OCSPServer[0]
	}
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return refuse(ReasonRevocation, err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return refuse(ReasonRevocation, err)
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	hreq.Header.Set("Accept", "application/ocsp-response")
	client := o.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return refuse(ReasonRevocation, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return refuse(ReasonRevocation, fmt.Errorf("OCSP responder answered %s", resp.Status))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return refuse(ReasonRevocation, err)
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return refuse(ReasonRevocation, err)
	}
	switch r.Status {
	case ocsp.Good:
		return nil
	case ocsp.Revoked:
		return refuse(ReasonRevoked, fmt.Errorf("OCSP: revoked at %s", r.RevokedAt.Format(time.RFC3339)))
	default:
		return refuse(ReasonRevocation, errors.New("OCSP: status unknown"))
	}
}
