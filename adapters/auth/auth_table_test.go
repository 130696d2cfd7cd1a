package auth

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestThrottleDelayTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Throttle
		n    int
		want time.Duration
	}{
		{"no failure yet", ThrottleAccountAddress, 0, 0},
		{"negative count", ThrottleAccountAddress, -3, 0},
		{"last free failure", ThrottleAccountAddress, 5, 0},
		{"first paid failure costs Base", ThrottleAccountAddress, 6, 2 * time.Second},
		{"doubles", ThrottleAccountAddress, 9, 16 * time.Second},
		{"512 s is still below 15 min", ThrottleAccountAddress, 14, 512 * time.Second},
		{"1024 s is capped at 15 min", ThrottleAccountAddress, 15, 15 * time.Minute},
		{"address: 20 free", ThrottleAddress, 20, 0},
		{"address: 21st", ThrottleAddress, 21, 2 * time.Second},
		{"account: 50 free", ThrottleAccount, 50, 0},
		{"account: 51st", ThrottleAccount, 51, time.Second},
		{"account: 32 s", ThrottleAccount, 56, 32 * time.Second},
		{"account: a minute at most", ThrottleAccount, 57, time.Minute},
		{"account: huge count", ThrottleAccount, 1 << 30, time.Minute},
		{"nothing free", Throttle{Base: time.Second, Max: time.Hour}, 1, time.Second},
		{"Base above Max", Throttle{Free: 1, Base: time.Hour, Max: time.Minute}, 2, time.Minute},
		{"Base above Max, later", Throttle{Free: 1, Base: time.Hour, Max: time.Minute}, 3, time.Minute},
		{"no Max blocks nothing", Throttle{Free: 1, Base: time.Second}, 10, 0},
	} {
		if got := tc.p.Delay(tc.n); got != tc.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tc.name, tc.n, got, tc.want)
		}
	}
}

// A huge Base never overflows into a negative delay.
func TestThrottleDelayNoOverflow(t *testing.T) {
	p := Throttle{Free: 0, Base: time.Duration(1 << 62), Max: time.Duration(1<<63 - 1)}
	for n := 1; n < 100; n++ {
		if d := p.Delay(n); d < p.Base {
			t.Fatalf("Delay(%d) = %v < Base", n, d)
		}
	}
}

func TestCheckSecretTable(t *testing.T) {
	good, err := HashSecret("segreto-123")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	with := func(params, salt, key string) string {
		return "$argon2id$v=19$" + params + "$" + salt + "$" + key
	}
	const params = "m=32768,t=2,p=2"
	for _, tc := range []struct {
		name    string
		encoded string
		secret  string
		ok      bool
		err     error
	}{
		{"right secret", good, "segreto-123", true, nil},
		{"wrong secret", good, "segreto-124", false, nil},
		{"empty secret", good, "", false, nil},
		{"case matters", good, "SEGRETO-123", false, nil},
		{"rebuilt from its parts", with(params, salt, key), "segreto-123", true, nil},
		{"other parameters give another key", with("m=32768,t=3,p=2", salt, key), "segreto-123", false, nil},
		{"other salt gives another key", with(params, base64.RawStdEncoding.EncodeToString([]byte("another salt 16b")), key), "segreto-123", false, nil},
		{"empty", "", "x", false, ErrBadHash},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1), "segreto-123", false, ErrBadHash},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "x", false, ErrBadHash},
		{"other version", strings.Replace(good, "v=19", "v=16", 1), "segreto-123", false, ErrBadHash},
		{"parameters garbled", with("m=x,t=2,p=2", salt, key), "x", false, ErrBadHash},
		{"threads overflow a byte", with("m=32768,t=2,p=256", salt, key), "x", false, ErrBadHash},
		{"salt not base64", with(params, "!!!", key), "x", false, ErrBadHash},
		{"key not base64", with(params, salt, "!!!"), "x", false, ErrBadHash},
		{"padded base64", with(params, salt, key+"=="), "x", false, ErrBadHash},
		{"extra part", good + "$x", "segreto-123", false, ErrBadHash},
		// These made argon2.IDKey panic before CheckSecret checked them.
		{"zero rounds", with("m=32768,t=0,p=2", salt, key), "x", false, ErrBadHash},
		{"zero threads", with("m=32768,t=2,p=0", salt, key), "x", false, ErrBadHash},
		{"empty key", with(params, salt, ""), "x", false, ErrBadHash},
		{"short key", with(params, salt, base64.RawStdEncoding.EncodeToString([]byte("short"))), "x", false, ErrBadHash},
		{"absurd memory", with("m=4294967295,t=2,p=2", salt, key), "x", false, ErrBadHash},
		{"absurd rounds", with("m=32768,t=4294967295,p=2", salt, key), "x", false, ErrBadHash},
	} {
		var ok bool
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			ok, err = CheckSecret(tc.encoded, tc.secret)
		}()
		if ok != tc.ok || !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
			t.Errorf("%s: CheckSecret = %v, %v; want %v, %v", tc.name, ok, err, tc.ok, tc.err)
		}
	}
}

func TestHashSecretIsSaltedAndFormatted(t *testing.T) {
	a, err := HashSecret("1234")
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashSecret("1234")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two hashes of one secret are equal: no salt")
	}
	for _, h := range []string{a, b} {
		p := strings.Split(h, "$")
		if len(p) != 6 || p[1] != "argon2id" || p[2] != "v=19" || p[3] != "m=32768,t=2,p=2" {
			t.Errorf("hash %q: unexpected format", h)
		}
		salt, _ := base64.RawStdEncoding.DecodeString(p[4])
		key, _ := base64.RawStdEncoding.DecodeString(p[5])
		if len(salt) != saltLen || len(key) != argonKeyLen {
			t.Errorf("hash %q: salt %d bytes, key %d bytes", h, len(salt), len(key))
		}
	}
}

func TestTokensAndDigests(t *testing.T) {
	for _, tc := range []struct{ token, sha256 string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	} {
		if got := hex.EncodeToString(Digest(tc.token)); got != tc.sha256 {
			t.Errorf("Digest(%q) = %s, want %s", tc.token, got, tc.sha256)
		}
	}
	seen := map[string]bool{}
	for range 50 {
		token, digest, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d random bytes, %v", token, len(raw), err)
		}
		if strings.ContainsAny(token, "+/=") {
			t.Fatalf("token %q is not URL-safe", token)
		}
		if hex.EncodeToString(digest) != hex.EncodeToString(Digest(token)) {
			t.Fatalf("digest of %q is not Digest(token)", token)
		}
		if seen[token] {
			t.Fatalf("token %q twice", token)
		}
		seen[token] = true
	}
}
