package cns

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"esenzioni/internal/pemcert"
)

// crlSet holds the CRLs of a directory, read again when a file is added,
// removed or changed (checked at most once a second, on use).
type crlSet struct {
	dir string
	cas []*x509.Certificate

	mu        sync.Mutex
	stamp     string    // names, sizes and modification times of the files
	checkedAt time.Time // last look at the directory
	byIssuer  map[string]*crlEntry
}

type crlEntry struct {
	next    time.Time
	revoked map[string]bool // serial numbers (big.Int text)
}

func newCRLSet(dir string, cas []*x509.Certificate) *crlSet {
	return &crlSet{dir: dir, cas: cas, byIssuer: map[string]*crlEntry{}}
}

// check refuses cert when the CRL of its issuer lists it. An issuer without
// a CRL in the directory is not checked (its CA publishes none, or OCSP
// covers it).
func (s *crlSet) check(cert, issuer *x509.Certificate, now time.Time) error {
	if err := s.refresh(now); err != nil {
		// Keep the CRLs read before: a half-written file must not open
		// the door to revoked certificates.
		slog.Warn("cns: CRL directory not reloaded", "dir", s.dir, "error", err)
	}
	s.mu.Lock()
	e := s.byIssuer[string(issuer.RawSubject)]
	s.mu.Unlock()
	if e == nil {
		return nil
	}
	if !e.next.IsZero() && now.After(e.next) {
		slog.Warn("cns: CRL past its next update; still applied", "issuer", issuer.Subject.CommonName, "next_update", e.next)
	}
	if e.revoked[serialKey(cert.SerialNumber)] {
		return refuse(ReasonRevoked, fmt.Errorf("serial %s listed by the CRL of %s", cert.SerialNumber.Text(16), issuer.Subject.CommonName))
	}
	return nil
}

// refresh reloads the directory if its files changed.
func (s *crlSet) refresh(now time.Time) error {
	s.mu.Lock()
	if now.Sub(s.checkedAt) < time.Second && !s.checkedAt.IsZero() {
		s.mu.Unlock()
		return nil
	}
	s.checkedAt = now
	s.mu.Unlock()
	stamp, err := dirStamp(s.dir)
	if err != nil {
		return err
	}
	s.mu.Lock()
	same := stamp == s.stamp
	s.mu.Unlock()
	if same {
		return nil
	}
	return s.reload()
}

// reload reads every CRL of the directory.
func (s *crlSet) reload() error {
	stamp, err := dirStamp(s.dir)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("cns: CRL directory: %w", err)
	}
	byIssuer := map[string]*crlEntry{}
	for _, de := range entries {
		if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		path := filepath.Join(s.dir, de.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("cns: %w", err)
		}
		for _, der := range crlBlocks(b) {
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				return fmt.Errorf("cns: %s: %w", path, err)
			}
			ca := s.issuerOf(crl)
			if ca == nil {
				return fmt.Errorf("cns: %s: the CRL of %q is not signed by a configured CA", path, crl.Issuer.CommonName)
			}
			key := string(ca.RawSubject)
			e := byIssuer[key]
			if e == nil {
				e = &crlEntry{revoked: map[string]bool{}}
				byIssuer[key] = e
			}
			if crl.NextUpdate.After(e.next) {
				e.next = crl.NextUpdate
			}
			for _, r := range crl.RevokedCertificateEntries {
				e.revoked[serialKey(r.SerialNumber)] = true
			}
		}
	}
	s.mu.Lock()
	s.byIssuer, s.stamp = byIssuer, stamp
	s.mu.Unlock()
	return nil
}

func (s *crlSet) issuerOf(crl *x509.RevocationList) *x509.Certificate {
	for _, ca := range s.cas {
		if bytes.Equal(ca.RawSubject, crl.RawIssuer) && crl.CheckSignatureFrom(ca) == nil {
			return ca
		}
	}
	return nil
}

// crlBlocks returns the DER CRLs in b: PEM "X509 CRL" blocks, or b itself.
func crlBlocks(b []byte) [][]byte {
	out, isPEM := pemcert.Blocks(b, "X509 CRL")
	if len(out) == 0 && len(bytes.TrimSpace(b)) > 0 && !isPEM {
		out = append(out, b)
	}
	return out
}

// dirStamp summarises the files of dir, to notice a change.
func dirStamp(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("cns: CRL directory %s does not exist", dir)
		}
		return "", err
	}
	var parts []string
	for _, de := range entries {
		info, err := de.Info()
		if err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d", de.Name(), info.Size(), info.ModTime().UnixNano()))
	}
	sort.Strings(parts)
	return strings.Join(parts, "|"), nil
}

// serialKey is the map key of a serial number.
func serialKey(n *big.Int) string { return n.Text(16) }
