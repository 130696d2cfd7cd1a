// Package pemcert reads the PEM blocks of certificate and CRL files, for
// the readers that also accept DER (the signature trust store, the CNS
// CAs and CRLs): each keeps its own rule for a file without PEM.
package pemcert

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
)

// Blocks returns the contents of the PEM blocks of type typ in b, and
// whether b holds PEM at all (a "-----BEGIN" line), so that a caller can
// tell DER from PEM of other types (a key, a CRL among certificates).
func Blocks(b []byte, typ string) (ders [][]byte, isPEM bool) {
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == typ {
			ders = append(ders, block.Bytes)
		}
	}
	return ders, bytes.Contains(b, []byte("-----BEGIN"))
}

// Certificates parses the CERTIFICATE blocks of b; isPEM is Blocks'.
func Certificates(b []byte) (certs []*x509.Certificate, isPEM bool, err error) {
	ders, isPEM := Blocks(b, "CERTIFICATE")
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, isPEM, err
		}
		certs = append(certs, c)
	}
	return certs, isPEM, nil
}
