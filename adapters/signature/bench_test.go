package signature

import (
	"fmt"
	"strings"
	"testing"
)

// bigPDF is a one-page PDF of about size bytes (a long content stream).
func bigPDF(size int) []byte {
	var sb strings.Builder
	for i := 0; sb.Len() < size; i++ {
		fmt.Fprintf(&sb, "Riga %07d del certificato medico allegato alla richiesta di esenzione\n", i)
	}
	return MinimalPDF(sb.String())
}

func benchVerify(b *testing.B, data []byte) {
	f := getFixture(b)
	if _, err := Verify(data, f.ts, Options{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Verify(data, f.ts, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPAdES5MB(b *testing.B) {
	f := getFixture(b)
	pdf, err := signPDF(bigPDF(5<<20), f.signer, padesLayout{})
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, pdf)
}

func BenchmarkVerifyPAdES20MB(b *testing.B) {
	f := getFixture(b)
	pdf, err := signPDF(bigPDF(20<<20), f.signer, padesLayout{})
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, pdf)
}

func BenchmarkVerifyCAdES5MB(b *testing.B) {
	f := getFixture(b)
	benchVerify(b, opensslSign(b, bigPDF(5<<20), f.signer))
}

// BER with indefinite lengths and the content in 4 KiB chunks, as
// streaming signers (openssl cms -stream) write it.
func BenchmarkVerifyCAdESStreamingBER5MB(b *testing.B) {
	f := getFixture(b)
	benchVerify(b, opensslSign(b, bigPDF(5<<20), f.signer, "-stream"))
}

// The worst case of the signature dictionary search: a 20 MB PDF with
// none, scanned to its first byte.
func BenchmarkVerifyUnsignedPDF20MB(b *testing.B) {
	f := getFixture(b)
	pdf := bigPDF(20 << 20)
	b.SetBytes(int64(len(pdf)))
	for b.Loop() {
		if _, err := Verify(pdf, f.ts, Options{}); err == nil {
			b.Fatal("unsigned PDF accepted")
		}
	}
}
