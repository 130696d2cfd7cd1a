// Package testsign makes signed documents for development and tests: PAdES
// PDFs (through adapters/signature, which owns the PDF internals) and the
// hostile files every upload route must refuse, with internal/testpki's
// certificates. CAdES envelopes come from testpki.SignCAdES.
package testsign

import (
	"bytes"
	"time"

	"esenzioni/adapters/signature"
	"esenzioni/internal/testpki"
)

// SignPAdES signs a PDF with s (signature.SignPAdESWith, the CMS from
// testpki.SignCMS).
func SignPAdES(pdf []byte, s *testpki.Cert) ([]byte, error) {
	return signature.SignPAdESWith(pdf, s.Cert.Subject.CommonName, func(signed []byte) ([]byte, error) {
		return testpki.SignCMS(signed, s, true)
	})
}

// RefusedKinds names the kinds of bad files every upload route must
// refuse, as HostileFiles makes them.
var RefusedKinds = []string{"nested", "appended", "tampered", "untrusted", "expired", "garbage", "unsigned"}

// HostileFiles makes, for tests of upload routes, one file of each kind in
// RefusedKinds around doc (a PDF): "nested" is an untrusted signature
// wrapped in signature.MaxNesting envelopes signed by trusted; "appended" a
// valid .p7m with bytes after its CMS; "tampered" a valid PAdES with a byte
// of the signed range changed; "untrusted" signed by a CA outside ca's
// trust store; "expired" signed by a certificate of ca past its validity;
// "garbage" meaningless bytes; "unsigned" doc itself. trusted, issued by
// ca, signs whatever must look legitimate.
func HostileFiles(ca *testpki.CA, trusted *testpki.Cert, doc []byte) (map[string][]byte, error) {
	otherCA, err := testpki.NewCA("Untrusted CA")
	if err != nil {
		return nil, err
	}
	untrusted, err := otherCA.NewSigner(testpki.SignerOptions{})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	expired, err := ca.NewSigner(testpki.SignerOptions{NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(-1, 0, 0)})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{"unsigned": doc}
	nested, err := testpki.SignCAdES(doc, untrusted)
	if err != nil {
		return nil, err
	}
	for range signature.MaxNesting {
		if nested, err = testpki.SignCAdES(nested, trusted); err != nil {
			return nil, err
		}
	}
	out["nested"] = nested
	good, err := testpki.SignCAdES(doc, trusted)
	if err != nil {
		return nil, err
	}
	out["appended"] = append(bytes.Clone(good), []byte("%PDF-1.4 contenuto nascosto aggiunto dopo la firma")...)
	pades, err := SignPAdES(doc, trusted)
	if err != nil {
		return nil, err
	}
	tampered := bytes.Clone(pades)
	tampered[len(doc)/2] ^= 0x01
	out["tampered"] = tampered
	if out["untrusted"], err = SignPAdES(doc, untrusted); err != nil {
		return nil, err
	}
	if out["expired"], err = testpki.SignCAdES(doc, expired); err != nil {
		return nil, err
	}
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/13)
	}
	out["garbage"] = garbage
	return out, nil
}
