package faults

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"esenzioni/domain/exemption"
)

// client is one operator at a browser (the web UI's forms, with its
// session cookie) who also plays the submitters' software (the intake API
// with the run's token). Every request carries its idempotency key and is
// sent again with the same key after a network error or a 5xx, to either
// web process, as a browser re-post or a careful client would.
type client struct {
	h   *harness
	rng *rand.Rand
	op  *operatorAccount
	hc  *http.Client
	// actionDeadline bounds how long one action is retried.
	actionDeadline time.Duration
}

func newClient(h *harness, op *operatorAccount, seed uint64) *client {
	jar, _ := cookiejar.New(nil) // cookies are not per port: one session for both webs
	return &client{
		h: h, op: op, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		hc: &http.Client{
			Jar:     jar,
			Timeout: 60 * time.Second,
			// Redirects are read, not followed: the flash cookie of a 303
			// says how a form post ended.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
		},
		actionDeadline: 15 * time.Minute, // longer than the longest outage kind
	}
}

// reply is an HTTP answer, or the network error that replaced it.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error
	web    int
}

func (r reply) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return strconv.Itoa(r.status)
}

// retryable: nothing final was said (network error, 5xx).
func (r reply) retryable() bool { return r.err != nil || r.status >= 500 }

// send makes one request to a random web process. kind, when set, may fire
// the fault trigger once the request is written.
func (c *client) send(ctx context.Context, kind, method, path string, body io.Reader, contentType string, hdr map[string]string) reply {
	web := c.rng.IntN(len(c.h.c.webPorts))
	req, err := http.NewRequestWithContext(ctx, method, c.h.c.webURL(web)+path, body)
	if err != nil {
		return reply{err: err, web: web}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	var cl *claim
	if kind != "" {
		cl = c.h.trig.take(kind, web)
		if cl != nil {
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
				WroteRequest: func(httptrace.WroteRequestInfo) { cl.wrote() },
			}))
		}
	}
	resp, err := c.hc.Do(req)
	cl.release() // a no-op once written
	if err != nil {
		return reply{err: err, web: web}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{err: err, web: web}
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b, web: web}
}

func (c *client) postForm(ctx context.Context, kind, path string, form url.Values) reply {
	return c.send(ctx, kind, http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", nil)
}

// backoff sleeps before attempt n+1.
func (c *client) backoff(ctx context.Context, n int) error {
	d := time.Duration(100*(1<<min(n, 4))) * time.Millisecond // 200 ms .. 1.6 s
	return sleepCtx(ctx, d+time.Duration(c.rng.IntN(100))*time.Millisecond)
}

var (
	reInput     = func(name string) *regexp.Regexp { return regexp.MustCompile(`name="` + name + `" value="([^"]*)"`) }
	reVersion   = reInput("versione")
	reEndDate   = regexp.MustCompile(`name="data_fine"[^>]*value="([^"]*)"`)
	reExemption = regexp.MustCompile(`href="/esenzioni/(\d+)"`)
	reReason    = regexp.MustCompile(`<option value="([A-Z0-9_]+)">`)
)

func match(re *regexp.Regexp, b []byte) string {
	m := re.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// login opens a session for the client's operator.
func (c *client) login(ctx context.Context) error {
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := c.send(ctx, "", http.MethodGet, "/login", nil, "", nil)
		if r.err == nil && r.status == http.StatusOK {
			form := url.Values{"username": {c.op.Username},
				"password": {password}, "pin": {pin}, "next": {"/"}}
			r = c.postForm(ctx, "", "/login", form)
			if r.err == nil && r.status == http.StatusSeeOther {
				return nil
			}
			if r.err == nil && r.status < 500 && r.status != http.StatusForbidden {
				return fmt.Errorf("login %s: %d", c.op.Username, r.status)
			}
		}
		if n > 600 {
			return fmt.Errorf("login %s: %s", c.op.Username, r)
		}
		if err := c.backoff(ctx, n); err != nil {
			return err
		}
	}
}

// page GETs an operator page, logging in again if the session is gone and
// retrying while the answer is 404 (a practice not projected yet), a 5xx or
// a network error.
func (c *client) page(ctx context.Context, path string) ([]byte, error) {
	deadline := time.Now().Add(c.actionDeadline)
	var last reply
	for n := 0; time.Now().Before(deadline); n++ {
		last = c.send(ctx, "", http.MethodGet, path, nil, "", nil)
		switch {
		case last.err == nil && last.status == http.StatusOK:
			return last.body, nil
		case last.err == nil && last.status == http.StatusSeeOther && strings.HasPrefix(last.header.Get("Location"), "/login"):
			if err := c.login(ctx); err != nil {
				return nil, err
			}
			continue
		case last.err == nil && last.status != http.StatusNotFound && last.status < 500:
			return nil, fmt.Errorf("GET %s: %d", path, last.status)
		}
		if err := c.backoff(ctx, n); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("GET %s: still %s after %s", path, last, c.actionDeadline)
}

// flash decodes the banner a form post left for the next page.
func flash(h http.Header) (kind, msg string) {
	for _, sc := range h.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(sc, "=")
		if name != "esenzioni_avviso" {
			continue
		}
		v, _, _ := strings.Cut(rest, ";")
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			continue
		}
		kind, msg, _ = strings.Cut(string(b), "|")
	}
	return kind, msg
}

// submitForm posts a form until it gets a final answer, with the same key
// every time.
func (c *client) submitForm(ctx context.Context, a *action, path string, form url.Values) {
	a.Start = time.Now()
	c.h.ledger.add(a)
	deadline := a.Start.Add(c.actionDeadline)
	for n := 0; ; n++ {
		a.Attempts++
		start := time.Now()
		r := c.postForm(ctx, a.Kind, path, form)
		a.Last = r.String()
		switch {
		case r.retryable():
		case r.status == http.StatusSeeOther:
			loc := r.header.Get("Location")
			if strings.HasPrefix(loc, "/login") {
				if err := c.login(ctx); err != nil {
					a.Last = err.Error()
				}
				break
			}
			kind, msg := flash(r.header)
			a.Last = "303 " + kind + ": " + msg
			switch {
			case kind == "success", kind == "warning" && strings.Contains(msg, "registrata"):
				a.Outcome, a.End = outOK, time.Now()
				c.h.ledger.succeeded(a.Kind, start, a.End)
				return
			}
			// "in corso": sent, outcome not known yet: ask again with
			// the same key.
		default:
			a.Outcome, a.End = outRefused, time.Now()
			a.Last = strconv.Itoa(r.status) + " " + alertText(r.body)
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			a.Outcome, a.End = outUnknown, time.Now()
			return
		}
		if err := c.backoff(ctx, n); err != nil {
			a.Outcome, a.End = outUnknown, time.Now()
			return
		}
	}
}

var reAlert = regexp.MustCompile(`(?s)<div class="alert[^"]*"[^>]*>(.*?)</div>`)

func alertText(b []byte) string {
	m := reAlert.FindSubmatch(b)
	if m == nil {
		return ""
	}
	s := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(m[1]), "")
	return strings.Join(strings.Fields(s), " ")
}

// practiceAction performs an operator action from the practice's page.
// stale sends a version other than the one shown (refused as stale).
func (c *client) practiceAction(ctx context.Context, phase, number, kind string, fields url.Values, stale, wantRefusal bool) *action {
	paths := map[string]string{actTake: "prendi", actValidate: "valida", actReject: "respingi", actNote: "nota"}
	a := &action{Phase: phase, Kind: kind, Practice: number, WantRefusal: wantRefusal}
	key, _, version, ok := c.openForm(ctx, a, "/pratiche/"+number, stale)
	if !ok {
		return a
	}
	form := url.Values{"versione": {strconv.Itoa(version)}, "chiave": {key}}
	for k, v := range fields {
		form[k] = v
	}
	c.submitForm(ctx, a, "/pratiche/"+number+"/azioni/"+paths[kind], form)
	return a
}

// openForm gives web action a its idempotency key and request ID and reads
// the page holding its form: the page and the version it shows, one more
// when stale (not the version shown; 0 would skip the check). When the page
// cannot be read, a is recorded as not sent and ok is false.
func (c *client) openForm(ctx context.Context, a *action, page string, stale bool) (key string, body []byte, version int, ok bool) {
	key = c.key()
	a.RequestID = fmt.Sprintf("web:%d:%s", c.op.ID, key)
	body, err := c.page(ctx, page)
	if err != nil {
		a.Start, a.End, a.Outcome, a.Last = time.Now(), time.Now(), outUnknown, "not sent: "+err.Error()
		c.h.ledger.add(a)
		return key, nil, 0, false
	}
	version, _ = strconv.Atoi(match(reVersion, body))
	if stale {
		version++
	}
	return key, body, version, true
}

// exemptionOf reads the exemption of a validated practice from its page.
func (c *client) exemptionOf(ctx context.Context, number string) (int64, error) {
	body, err := c.page(ctx, "/pratiche/"+number)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(match(reExemption, body), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("practice %s: no exemption link", number)
	}
	return id, nil
}

// rejectReason picks a reason from the practice page's list.
func (c *client) rejectReason(ctx context.Context, number string) (string, error) {
	body, err := c.page(ctx, "/pratiche/"+number)
	if err != nil {
		return "", err
	}
	all := reReason.FindAllSubmatch(body, -1)
	if len(all) == 0 {
		return "", fmt.Errorf("practice %s: no reject reasons", number)
	}
	return string(all[c.rng.IntN(len(all))][1]), nil
}

// modifica renews (a later end date) or revokes (today) an exemption from
// its Modifica form.
func (c *client) modifica(ctx context.Context, phase, number string, id int64, kind string, stale, wantRefusal bool) *action {
	a := &action{Phase: phase, Kind: kind, Practice: number, Exemption: id, WantRefusal: wantRefusal}
	path := fmt.Sprintf("/esenzioni/%d/modifica", id)
	key, body, version, ok := c.openForm(ctx, a, path, stale)
	if !ok {
		return a
	}
	today := romeToday()
	end := today
	if kind == actRenew {
		from := today
		if cur, err := time.Parse("02/01/2006", match(reEndDate, body)); err == nil && cur.After(from) {
			from = cur
		}
		end = from.AddDate(1, 1, 0)
		if latest := exemption.LatestEndDate(today); end.After(latest) {
			end = latest // the bound of an end date (a diagnosis of many years)
		}
	}
	form := url.Values{"versione": {strconv.Itoa(version)}, "chiave": {key},
		"data_fine": {end.Format("02/01/2006")}, "nota": {"prova di guasti: " + kind}}
	if kind != actRenew {
		form.Set("conferma_revoca", "1") // the operator's "Sì, revoca l'esenzione"
	}
	c.submitForm(ctx, a, path, form)
	return a
}

func (c *client) key() string {
	return fmt.Sprintf("%016x%016x", c.rng.Uint64(), c.rng.Uint64())
}

// api sends a JSON request of the intake API until it gets a final answer,
// with the same Idempotency-Key every time.
func (c *client) api(ctx context.Context, a *action, path, key string, body []byte, contentType string) reply {
	a.Start = time.Now()
	c.h.ledger.add(a)
	deadline := a.Start.Add(c.actionDeadline)
	hdr := map[string]string{"Authorization": "Bearer " + c.h.apiToken}
	if key != "" {
		hdr["Idempotency-Key"] = key
	}
	for n := 0; ; n++ {
		a.Attempts++
		start := time.Now()
		r := c.send(ctx, a.Kind, http.MethodPost, path, bytes.NewReader(body), contentType, hdr)
		a.Last = r.String()
		switch {
		case r.retryable():
		case r.status == http.StatusAccepted:
			// In progress: the same request again shortly, until its
			// outcome is known.
		case r.status < 300:
			a.Outcome, a.End = outOK, time.Now()
			c.h.ledger.succeeded(a.Kind, start, a.End)
			return r
		default:
			a.Outcome, a.End = outRefused, time.Now()
			a.Last = strconv.Itoa(r.status) + " " + string(r.body)
			return r
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			a.Outcome, a.End = outUnknown, time.Now()
			return r
		}
		if err := c.backoff(ctx, n); err != nil {
			a.Outcome, a.End = outUnknown, time.Now()
			return r
		}
	}
}

// upload sends a signed document for the next submission.
func (c *client) upload(ctx context.Context, phase string) string {
	a := &action{Phase: phase, Kind: actUpload}
	r := c.api(ctx, a, "/api/v1/attachments?fileName=referto.pdf", "", c.h.signed, "application/pdf")
	if a.Outcome != outOK {
		return ""
	}
	var out struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(r.body, &out)
	return out.ID
}

// person is a beneficiary made up for one practice (a new person: the
// submission carries names and ASL of residence).
type person struct {
	FC, First, Last string
}

// intake submits a practice for p, citizen of the run's ASL.
func (c *client) intake(ctx context.Context, phase string, p person, code, diagnosis string, attachments []string) (string, *action) {
	key := c.key()
	a := &action{Phase: phase, Kind: actIntake, RequestID: fmt.Sprintf("api:%d:%s", c.h.apiClientID, key)}
	req := map[string]any{
		"submitter":     map[string]any{"kind": "CITTADINO", "fiscalCode": p.FC},
		"beneficiary":   map[string]any{"fiscalCode": p.FC, "firstName": p.First, "lastName": p.Last, "aslCode": runASL},
		"exemptionCode": code, "diagnosisCode": diagnosis,
	}
	if len(attachments) > 0 {
		req["attachmentIds"] = attachments
	}
	body, _ := json.Marshal(req)
	r := c.api(ctx, a, "/api/v1/practices", key, body, "application/json")
	if a.Outcome != outOK {
		return "", a
	}
	var out struct {
		Number string `json:"number"`
	}
	_ = json.Unmarshal(r.body, &out)
	a.Practice = out.Number
	return out.Number, a
}

// cancel cancels a practice through the API, as its submitter.
func (c *client) cancel(ctx context.Context, phase, number string, p person, note string, wantRefusal bool) *action {
	key := c.key()
	a := &action{Phase: phase, Kind: actCancel, Practice: number, WantRefusal: wantRefusal,
		RequestID: fmt.Sprintf("api:%d:%s", c.h.apiClientID, key)}
	body, _ := json.Marshal(map[string]any{"submitterFiscalCode": p.FC, "beneficiaryNote": note})
	c.api(ctx, a, "/api/v1/practices/"+number+"/cancel", key, body, "application/json")
	return a
}

// romeToday is today's date in Europe/Rome, at midnight UTC (how dates
// are kept).
func romeToday() time.Time {
	now := time.Now().In(rome)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}
