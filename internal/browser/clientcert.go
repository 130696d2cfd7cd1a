package browser

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"esenzioni/internal/testenv"
)

// Client certificates in headless Chromium on Linux, as found on Debian's
// chromium 148 (README, "Certificate login"):
//
//   - Chromium reads client certificates and trusted CAs from the NSS
//     database in $HOME/.pki/nssdb: the browser gets a HOME of its own, with
//     the PKCS#12 file imported by pk12util and the test CA trusted for TLS
//     servers by certutil (Debian's libnss3-tools).
//   - Headless Chromium has no dialog to choose a certificate: without a
//     rule it waits for ever. The AutoSelectCertificateForUrls policy
//     (a JSON file in /etc/chromium/policies/managed, for every profile of
//     the machine) or, per profile, the same setting in the profile's
//     Preferences (profile.content_settings.exceptions.auto_select_certificate,
//     which is where the policy's values land) selects it. The tests use the
//     profile's Preferences, so nothing outside the test's directories is
//     touched.
//
// One certificate per browser: a test that presents a certificate starts a
// Chromium of its own (about a second).

// NewWithCertificate opens a Chromium of its own for t, whose NSS database
// holds the client certificate of p12 (with password) and trusts ca for TLS
// servers, and which selects that certificate by itself for any
// https://127.0.0.1 and https://localhost port.
func NewWithCertificate(t testing.TB, base string, p12 []byte, password string, ca *x509.Certificate) *Browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	for _, tool := range []string{"certutil", "pk12util"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" not found (scripts/install-deps.sh installs Debian's libnss3-tools)")
		}
	}
	home := t.TempDir()
	nss := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(nss, 0o700); err != nil {
		t.Fatal(err)
	}
	db := "sql:" + nss
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("certutil", "-N", "-d", db, "--empty-password")
	if p12 != nil {
		p12File := filepath.Join(home, "certificato.p12")
		if err := os.WriteFile(p12File, p12, 0o600); err != nil {
			t.Fatal(err)
		}
		run("pk12util", "-i", p12File, "-d", db, "-W", password)
	}
	if ca != nil {
		caFile := filepath.Join(home, "ca.pem")
		if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
		run("certutil", "-A", "-n", "CA di test", "-t", "C,,", "-i", caFile, "-d", db)
	}
	profile := t.TempDir()
	if err := writeAutoSelect(filepath.Join(profile, "Default"), "https://127.0.0.1:*", "https://localhost:*"); err != nil {
		t.Fatal(err)
	}
	opts := append(execOptions(path), chromedp.UserDataDir(profile), chromedp.Env("HOME="+home))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	return open(t, alloc, base)
}

// writeAutoSelect writes a profile's Preferences that select a client
// certificate by themselves for the URL patterns (any certificate: the
// browser holds only one).
func writeAutoSelect(profileDir string, patterns ...string) error {
	if err := os.MkdirAll(profileDir, 0o700); err != nil {
		return err
	}
	exceptions := map[string]any{}
	for _, p := range patterns {
		exceptions[p+",*"] = map[string]any{"setting": map[string]any{"filters": []any{map[string]any{}}}}
	}
	prefs := map[string]any{"profile": map[string]any{"content_settings": map[string]any{
		"exceptions": map[string]any{"auto_select_certificate": exceptions}}}}
	b, err := json.Marshal(prefs)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(profileDir, "Preferences"), b, 0o600)
}
