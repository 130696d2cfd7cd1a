package auth

import "testing"

// TestHashCredentials: each hash checks its own secret only.
func TestHashCredentials(t *testing.T) {
	pw, pin, err := HashCredentials("Segreta2026!", "12345678")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		hash, secret string
		want         bool
	}{{pw, "Segreta2026!", true}, {pin, "12345678", true}, {pw, "12345678", false}, {pin, "Segreta2026!", false}} {
		if ok, err := CheckSecret(c.hash, c.secret); err != nil || ok != c.want {
			t.Errorf("CheckSecret(%.20s…, %q) = %v, %v; want %v", c.hash, c.secret, ok, err, c.want)
		}
	}
}
