package testpki

import (
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"

	"github.com/smallstep/pkcs7"
)

var oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}

// ESS signing-certificate-v2 (RFC 5035), hash algorithm SHA-256 (default,
// hence omitted).
type essCertIDv2 struct {
	CertHash     []byte
	IssuerSerial essIssuerSerial
}

type essIssuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// SignCMS signs content with s (SHA-256, signed attributes content-type,
// message-digest, signing-time and signing-certificate-v2 as CAdES-BES
// wants), embedding s.Chain; detached leaves the content out, as the CMS
// of a PAdES signature does. Nothing it signs has legal value.
func SignCMS(content []byte, s *Cert, detached bool) ([]byte, error) {
	if s == nil || s.Cert == nil || s.Key == nil {
		return nil, errors.New("testpki: no signer")
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	h := sha256.Sum256(s.Cert.Raw)
	essCert := signingCertificateV2{Certs: []essCertIDv2{{
		CertHash: h[:],
		IssuerSerial: essIssuerSerial{
			Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: s.Cert.RawIssuer}},
			Serial: s.Cert.SerialNumber,
		},
	}}}
	cfg := pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{{Type: oidSigningCertificateV2, Value: essCert}}}
	if len(s.Chain) > 0 {
		err = sd.AddSignerChain(s.Cert, s.Key, s.Chain, cfg)
	} else {
		err = sd.AddSigner(s.Cert, s.Key, cfg)
	}
	if err != nil {
		return nil, err
	}
	if detached {
		sd.Detach()
	}
	return sd.Finish()
}

// SignCAdES wraps content in an attached CAdES-BES envelope (DER), as a
// .p7m file. The signing time is now.
func SignCAdES(content []byte, s *Cert) ([]byte, error) {
	return SignCMS(content, s, false)
}
