package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/require"

	"esenzioni/internal/testpki"
)

// A hand-made CMS SignedData, for the shapes neither openssl nor the pkcs7
// package produce: no signingTime (PAdES baseline forbids it), SHA-1.

type cmsSpec struct {
	detached    bool
	sha1        bool       // SHA-1 digest instead of SHA-256
	signingTime *time.Time // nil: no signingTime attribute
	noAttrs     bool       // signature directly over the content
}

type tAttr struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type tIssuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type tSignerInfo struct {
	Version     int
	SID         tIssuerAndSerial
	DigestAlg   pkix.AlgorithmIdentifier
	SignedAttrs asn1.RawValue `asn1:"optional"`
	SigAlg      pkix.AlgorithmIdentifier
	Signature   []byte
}

type tEncap struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue `asn1:"optional"`
}

type tSignedData struct {
	Version     int
	DigestAlgs  []pkix.AlgorithmIdentifier `asn1:"set"`
	Encap       tEncap
	Certs       asn1.RawValue
	SignerInfos []tSignerInfo `asn1:"set"`
}

type tContentInfo struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	require.NoError(t, err)
	return b
}

func buildCMS(t testing.TB, content []byte, s *testpki.Cert, spec cmsSpec) []byte {
	t.Helper()
	h, digestOID := crypto.SHA256, pkcs7.OIDDigestAlgorithmSHA256
	var digest []byte
	if spec.sha1 {
		h, digestOID = crypto.SHA1, pkcs7.OIDDigestAlgorithmSHA1
		d := sha1.Sum(content)
		digest = d[:]
	} else {
		d := sha256.Sum256(content)
		digest = d[:]
	}
	raw := func(v any) asn1.RawValue { return asn1.RawValue{FullBytes: mustMarshal(t, v)} }

	si := tSignerInfo{
		Version:   1,
		SID:       tIssuerAndSerial{Issuer: asn1.RawValue{FullBytes: s.Cert.RawIssuer}, Serial: s.Cert.SerialNumber},
		DigestAlg: pkix.AlgorithmIdentifier{Algorithm: digestOID},
	}
	toSign := content
	if !spec.noAttrs {
		attrs := []tAttr{
			{pkcs7.OIDAttributeContentType, []asn1.RawValue{raw(pkcs7.OIDData)}},
			{pkcs7.OIDAttributeMessageDigest, []asn1.RawValue{raw(digest)}},
		}
		if spec.signingTime != nil {
			attrs = append(attrs, tAttr{pkcs7.OIDAttributeSigningTime, []asn1.RawValue{raw(spec.signingTime.UTC())}})
		}
		wrapped := mustMarshal(t, struct {
			A []tAttr `asn1:"set"`
		}{attrs})
		var set asn1.RawValue
		_, err := asn1.Unmarshal(wrapped, &set)
		require.NoError(t, err)
		toSign = set.Bytes // the SET OF, tag 0x31
		implicit := append([]byte{0xA0}, toSign[1:]...)
		si.SignedAttrs = asn1.RawValue{FullBytes: implicit}
	}
	hh := h.New()
	hh.Write(toSign)
	sig, err := s.Key.Sign(rand.Reader, hh.Sum(nil), h)
	require.NoError(t, err)
	si.Signature = sig
	switch s.Key.(type) {
	case *ecdsa.PrivateKey:
		si.SigAlg.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
		if spec.sha1 {
			si.SigAlg.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
		}
	case *rsa.PrivateKey:
		si.SigAlg.Algorithm = oidRSA
	}

	var certs []byte
	for _, c := range append([]*x509.Certificate{s.Cert}, s.Chain...) {
		certs = append(certs, c.Raw...)
	}
	sd := tSignedData{
		Version:     1,
		DigestAlgs:  []pkix.AlgorithmIdentifier{{Algorithm: digestOID}},
		Encap:       tEncap{Type: pkcs7.OIDData},
		Certs:       asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs},
		SignerInfos: []tSignerInfo{si},
	}
	if !spec.detached {
		sd.Encap.Content = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustMarshal(t, content)}
	}
	return mustMarshal(t, tContentInfo{
		Type:    pkcs7.OIDSignedData,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustMarshal(t, sd)},
	})
}
