package cns_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"esenzioni/adapters/auth/cns"
	"esenzioni/internal/testpki"
)

// FiscalCode reads only the subject: a bare certificate structure is
// enough to test every form CNS issuers write.
func TestFiscalCodeFromSubject(t *testing.T) {
	const cardCN = cf + "/7420070100000123.abcdEFGH1234="
	for _, tc := range []struct {
		name         string
		serial, cn   string
		want, reason string
	}{
		{"serialNumber TINIT-", "TINIT-" + cf, "ROSSI MARIO", cf, ""},
		{"serialNumber IT: (older cards)", "IT:" + cf, "", cf, ""},
		{"bare serialNumber", cf, "", cf, ""},
		{"lower case, spaces", "  tinit- rssmra80a01h501u ", "", cf, ""},
		{"common name only", "", cardCN, cf, ""},
		{"common name, lower case", "", strings.ToLower(cardCN), cf, ""},
		{"serialNumber of another length: the common name", "TINIT-123", cardCN, cf, ""},
		{"omocodia", "TINIT-RSSMRA80A01H50MM", "", "RSSMRA80A01H50MM", ""},
		{"wrong check character in serialNumber", "TINIT-RSSMRA80A01H501X", cardCN, "", cns.ReasonFiscalCode},
		{"wrong check character in common name", "", "RSSMRA80A01H501X/123.abc", "", cns.ReasonFiscalCode},
		{"16 characters that are no fiscal code", "1234567890123456", "", "", cns.ReasonFiscalCode},
		{"common name without a slash", "", cf, "", cns.ReasonNoFiscalCode},
		{"common name with a short code", "", "RSSMRA80A01/123.abc", "", cns.ReasonNoFiscalCode},
		{"another country", "TINFR-" + cf + "X", "", "", cns.ReasonNoFiscalCode},
		{"empty subject", "", "", "", cns.ReasonNoFiscalCode},
	} {
		cert := &x509.Certificate{Subject: pkix.Name{SerialNumber: tc.serial, CommonName: tc.cn}}
		got, err := cns.FiscalCode(cert)
		if got != tc.want || reason(err) != tc.reason {
			t.Errorf("%s: FiscalCode = %q, %v; want %q, reason %q", tc.name, got, err, tc.want, tc.reason)
		}
		if tc.reason != "" && cns.Message(tc.reason) == "" {
			t.Errorf("%s: no Italian message for %s", tc.name, tc.reason)
		}
	}
}

func TestParseProxyHeaderRefusals(t *testing.T) {
	ca, err := testpki.NewDevCA("CA CNS DI PROVA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.IssueClient(testpki.Holder{FiscalCode: cf})
	if err != nil {
		t.Fatal(err)
	}
	der := base64.StdEncoding.EncodeToString(leaf.Cert.Raw)
	pemText := string(testpki.CertPEM(leaf.Cert))
	for _, tc := range []struct {
		name, header string
		n            int
		reason       string
	}{
		{"leaf and CA as base64 DER", der + "," + base64.StdEncoding.EncodeToString(ca.Cert.Raw), 2, ""},
		{"base64 DER wrapped over lines", der[:40] + "\n " + der[40:], 1, ""},
		{"two PEM blocks on one line", strings.ReplaceAll(pemText+string(testpki.CertPEM(ca.Cert)), "\n", " "), 2, ""},
		{"empty", "", 0, cns.ReasonMissing},
		{"blank", " \t ", 0, cns.ReasonMissing},
		{"nginx without a certificate", "(null)", 0, cns.ReasonMissing},
		{"base64 of something else", base64.StdEncoding.EncodeToString([]byte("not DER")), 0, cns.ReasonMalformed},
		{"trailing comma", der + ",", 0, cns.ReasonMalformed},
		{"truncated DER", der[:len(der)/2], 0, cns.ReasonMalformed},
		{"PEM with a broken body", "-----BEGIN CERTIFICATE----- AAAA -----END CERTIFICATE-----", 0, cns.ReasonMalformed},
		{"escaped garbage", url.QueryEscape("%%%"), 0, cns.ReasonMalformed},
	} {
		certs, err := cns.ParseProxyHeader(tc.header)
		if len(certs) != tc.n || reason(err) != tc.reason {
			t.Errorf("%s: %d certificates, %v; want %d, reason %q", tc.name, len(certs), err, tc.n, tc.reason)
		}
		if tc.n > 0 && !certs[0].Equal(leaf.Cert) {
			t.Errorf("%s: the leaf is not first", tc.name)
		}
	}
}
