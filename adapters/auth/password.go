// Package auth holds the credentials logic: argon2id hashes for passwords
// and PINs, API tokens, and session tokens.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (RFC 9106 second recommended option, lighter memory):
// about 20 ms per hash on the target machines, fast enough for a login and
// slow enough to make offline guessing expensive.
const (
	argonTime    = 2
	argonMemory  = 32 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
	// Bounds of the parameters a stored hash may ask for: a corrupted row
	// must not make one login allocate gigabytes or run for minutes.
	maxArgonMemory = 1 << 20 // KiB (1 GiB)
	maxArgonTime   = 64
)

// HashSecret returns an encoded argon2id hash of secret (a password or PIN).
func HashSecret(secret string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// HashCredentials hashes an operator's password and PIN, as the accounts
// of the demo, the tests and the benchmarks are created.
func HashCredentials(password, pin string) (passwordHash, pinHash string, err error) {
	if passwordHash, err = HashSecret(password); err != nil {
		return "", "", err
	}
	pinHash, err = HashSecret(pin)
	return passwordHash, pinHash, err
}

// ErrBadHash is returned for a stored hash that cannot be parsed.
var ErrBadHash = errors.New("auth: malformed password hash")

// CheckSecret reports whether secret matches the encoded hash, in constant
// time with respect to the secret.
func CheckSecret(encoded, secret string) (bool, error) {
	checks.Add(1)
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, ErrBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, ErrBadHash
	}
	// argon2.IDKey panics on zero rounds, zero threads or an empty key;
	// such a hash is malformed, and a short key is no check at all.
	if t < 1 || p < 1 || len(want) < 16 || m > maxArgonMemory || t > maxArgonTime {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(secret), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var checks atomic.Int64

// SecretChecks counts the calls of CheckSecret in this process: tests
// compare the work of logins with it (no timing oracle) without measuring
// time.
func SecretChecks() int64 { return checks.Load() }

// NewToken returns a random token (for sessions, CSRF and API clients) and
// the SHA-256 digest the database stores instead of it.
func NewToken() (token string, digest []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Digest(token), nil
}

// Digest is the stored form of a token. Tokens are random, so a plain hash
// (not a slow one) is enough.
func Digest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
