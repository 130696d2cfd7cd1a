package auth

import "time"

// Throttle is the policy of one login throttling counter: the first Free
// failures in a row cost nothing; each further one blocks the counter's
// key for a delay that doubles from Base up to Max. A counter is
// forgotten Window after its last failure, and reset by a good login.
type Throttle struct {
	Free      int
	Base, Max time.Duration
}

// Delay is how long a key stays blocked after its n-th failure in a row.
func (t Throttle) Delay(n int) time.Duration {
	if n <= t.Free {
		return 0
	}
	d := t.Base
	for i := t.Free + 1; i < n; i++ {
		if d > t.Max/2 { // doubling would reach Max (or overflow)
			return t.Max
		}
		d *= 2
	}
	return min(d, t.Max)
}

// The login throttles. Failures are counted for three keys at once:
//
//   - the account from one client address: the usual guessing, and a
//     forgetful operator, are slowed there without touching the account
//     elsewhere, so nobody can lock another operator out from their own
//     address;
//   - the client address, whatever the accounts: one address trying many
//     accounts (password spraying);
//   - the account, whatever the addresses: guessing spread over many
//     addresses; its delays stay short (a minute at most) so that it cannot
//     be turned into a lock-out either.
var (
	ThrottleAccountAddress = Throttle{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute}
	ThrottleAddress        = Throttle{Free: 20, Base: 2 * time.Second, Max: 15 * time.Minute}
	ThrottleAccount        = Throttle{Free: 50, Base: time.Second, Max: time.Minute}
)

// ThrottleWindow is how long after its last failure a counter is forgotten.
const ThrottleWindow = 30 * time.Minute
