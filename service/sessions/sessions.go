// Package sessions is the service layer of the operators' logins: web
// sessions, the login attempts of the certificate and SPID/CIE methods,
// and the throttling of failed password logins. It is the only writer of
// web_session, web_session_login, login_attempt and login_throttle.
package sessions

import (
	"context"
	"strings"
	"time"

	"esenzioni/adapters/auth"
	"esenzioni/store"
)

// Idle is how long a session lives without activity.
const Idle = 8 * time.Hour

// touchEvery bounds the writes of the sliding expiry: at most one a minute
// per session, not one per request.
const touchEvery = time.Minute

// Service writes sessions, login attempts and throttling counters.
type Service struct {
	Store *store.Store
}

// Open starts a session for operatorID acting with profileID and returns
// its token (the cookie's value; only its digest is stored). login tells
// how it was opened; nil is the password login, which records no row.
func (s *Service) Open(ctx context.Context, operatorID, profileID int64, address string, login *store.SessionLogin) (string, error) {
	token, digest, err := auth.NewToken()
	if err != nil {
		return "", err
	}
	sess := &store.Session{TokenHash: digest, OperatorID: operatorID, ProfileID: profileID,
		Address: address, ExpiresAt: time.Now().Add(Idle)}
	if login == nil {
		err = s.Store.CreateSession(ctx, sess)
	} else {
		err = s.Store.CreateSessionWithLogin(ctx, sess, login)
	}
	if err != nil {
		return "", err
	}
	return token, nil
}

// Touch extends the idle expiry of a session that was used; a failure is
// not the request's: the session lives on until its current expiry.
func (s *Service) Touch(ctx context.Context, sess store.Session) {
	if time.Since(sess.LastSeenAt) > touchEvery {
		_ = s.Store.TouchSession(ctx, sess.TokenHash, time.Now().Add(Idle))
	}
}

// SwitchProfile makes the session act with another of its operator's
// profiles ("Cambia"); the caller checked that the profile is theirs.
func (s *Service) SwitchProfile(ctx context.Context, digest []byte, profileID int64) error {
	return s.Store.SetSessionProfile(ctx, digest, profileID)
}

// Close ends a session (logout).
func (s *Service) Close(ctx context.Context, digest []byte) error {
	return s.Store.DeleteSession(ctx, digest)
}

// StartAttempt stores a login in progress (certificate, SPID, CIE).
func (s *Service) StartAttempt(ctx context.Context, a *store.LoginAttempt) error {
	return s.Store.CreateLoginAttempt(ctx, a)
}

// RecordCertificateResult writes the outcome of the certificate check into
// its attempt; false when there is no live attempt waiting for one.
func (s *Service) RecordCertificateResult(ctx context.Context, idHash []byte, fiscalCode, refusal string) (bool, error) {
	return s.Store.RecordCertificateResult(ctx, idHash, fiscalCode, refusal)
}

// TakeAttempt removes and returns a live attempt of method: an attempt
// completes once (store.ErrNotFound when unknown, expired or taken).
func (s *Service) TakeAttempt(ctx context.Context, idHash []byte, method string) (store.LoginAttempt, error) {
	return s.Store.TakeLoginAttempt(ctx, idHash, method)
}

// Throttle is the counters of one password login (auth.Throttle): the
// account from this address, the address, the account.
type Throttle struct {
	keys []throttleKey
}

type throttleKey struct {
	key    string
	policy auth.Throttle
}

// PasswordThrottle is the counters of a password login of username from
// address. Usernames are compared case-insensitively and cut to 100
// characters, so that any string, known or not, gets the same treatment.
func PasswordThrottle(username, address string) Throttle {
	account := strings.ToLower(username)
	if r := []rune(account); len(r) > 100 {
		account = string(r[:100])
	}
	return Throttle{keys: []throttleKey{
		{"pair:" + account + "|" + address, auth.ThrottleAccountAddress},
		{"addr:" + address, auth.ThrottleAddress},
		{"acct:" + account, auth.ThrottleAccount},
	}}
}

// Blocked returns the counter blocked the longest, if any is blocked now.
func (s *Service) Blocked(ctx context.Context, t Throttle) (store.LoginBlock, bool, error) {
	names := make([]string, len(t.keys))
	for i, k := range t.keys {
		names[i] = k.key
	}
	return s.Store.LoginBlocked(ctx, names)
}

// Failure is what a failed password login left on its counters.
type Failure struct {
	// Count is the failures in a row of the account from this address.
	Count int
	// Delay is the longest block the failure caused (zero: none), Block
	// the counter it blocks and until when.
	Delay time.Duration
	Block store.LoginBlock
}

// RecordFailure counts a failed password login on every counter.
func (s *Service) RecordFailure(ctx context.Context, t Throttle) (Failure, error) {
	var f Failure
	for _, k := range t.keys {
		n, err := s.Store.RecordLoginFailure(ctx, k.key, auth.ThrottleWindow, k.policy.Delay)
		if err != nil {
			return f, err
		}
		if k.policy == auth.ThrottleAccountAddress {
			f.Count = n
		}
		if d := k.policy.Delay(n); d > f.Delay {
			f.Delay, f.Block = d, store.LoginBlock{Key: k.key, Until: time.Now().Add(d)}
		}
	}
	return f, nil
}

// RecordSuccess forgets the account's counters after a good login; the
// address's counter stays (one good account does not clear a spray).
func (s *Service) RecordSuccess(ctx context.Context, t Throttle) error {
	var keys []string
	for _, k := range t.keys {
		if k.policy != auth.ThrottleAddress {
			keys = append(keys, k.key)
		}
	}
	return s.Store.ResetLoginFailures(ctx, keys...)
}
