package signature

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"esenzioni/internal/testpki"
)

// FuzzVerify: Verify must never panic, and must either succeed with a
// known format or fail with a *Error. Seeds: valid and tampered CAdES and
// PAdES files (openssl and this package), unsigned and odd inputs.
func FuzzVerify(f *testing.F) {
	fx := getFixture(f)
	pades, err := signPDF(fx.doc, fx.signer, padesLayout{})
	if err != nil {
		f.Fatal(err)
	}
	cades, err := testpki.SignCAdES(fx.doc, fx.signer)
	if err != nil {
		f.Fatal(err)
	}
	ossl := opensslSign(f, fx.doc, fx.signer)
	ber := opensslSign(f, fx.doc, fx.signer, "-stream")
	flip := func(b []byte, marker string) []byte {
		c := bytes.Clone(b)
		if i := bytes.Index(c, []byte(marker)); i >= 0 {
			c[i] ^= 1
		}
		return c
	}
	for _, seed := range [][]byte{
		pades, cades, ossl, ber,
		[]byte(base64.StdEncoding.EncodeToString(ossl)),
		flip(pades, "Mario"), flip(cades, "Mario"), flip(ossl, "Mario"), flip(ber, "Mario"),
		pades[:len(pades)-10], ossl[:len(ossl)/2],
		fx.doc, nil, []byte("%PDF-1.7\n/ByteRange [0 1 2 3] /Contents <30>"),
		{0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02, 0xA0, 0x80},
	} {
		f.Add(seed)
	}
	ts := fx.ts
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Verify(data, ts, Options{FileName: "doc.p7m"})
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code == "" || se.Message == "" {
				t.Fatalf("error %T %v is not a signature.Error", err, err)
			}
			return
		}
		if res.Format != CAdES && res.Format != PAdES || len(res.Signers) == 0 {
			t.Fatalf("odd result %+v", res)
		}
	})
}

// FuzzSniff: Sniff looks at SniffLen bytes at most and never panics.
func FuzzSniff(f *testing.F) {
	fx := getFixture(f)
	f.Add(fx.doc)
	f.Add(opensslSign(f, fx.doc, fx.signer, "-outform", "PEM"))
	f.Add([]byte("\xEF\xBB\xBF%PDF-"))
	f.Add([]byte{0x30, 0x84, 0, 0, 0, 0, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Sniff(data)
		if len(data) > SniffLen && Sniff(data[:SniffLen]) != got {
			t.Fatalf("Sniff looked past SniffLen")
		}
	})
}

// FuzzNormalizeBER: the BER converter never panics and its output is
// definite-length BER that converts to itself.
func FuzzNormalizeBER(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x05})
	f.Fuzz(func(t *testing.T, data []byte) {
		der, err := normalizeBER(data)
		if err != nil {
			return
		}
		again, err := normalizeBER(der)
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("not stable: % x -> % x -> % x (%v)", data, der, again, err)
		}
	})
}
