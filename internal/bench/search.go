package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/internal/benchdata"
	"esenzioni/migrations"

	"esenzioni/domain/exemption"
)

// SearchReport compares every search of the manual's screens at two data
// scales, through the HTTP handler and as the raw SQL the handler runs.
type SearchReport struct {
	Scales  []ScaleInfo   `json:"scales"`
	Queries []SearchQuery `json:"queries"`
	// Commit is a one-row insert and its commit, as the audit row every
	// search writes (the raw SQL of a search only reads).
	Commit Stats `json:"commit"`
}

// ScaleInfo describes the data of one scale.
type ScaleInfo struct {
	Name          string `json:"name"`
	Practices     int64  `json:"practices"`
	Exemptions    int64  `json:"exemptions"`
	Beneficiaries int64  `json:"beneficiaries"`
	ASL           string `json:"asl"`          // the operator's ASL
	ASLPractices  int64  `json:"aslPractices"` // practices in its scope
	Generated     string `json:"generated"`    // how long the generation took ("" when reused)
	GeneratedAt   string `json:"generatedAt"`  // "today" of the data
	RowsPerSecond int64  `json:"rowsPerSecond,omitempty"`
}

// SearchQuery is one search, measured at every scale.
type SearchQuery struct {
	Screen string                 `json:"screen"`
	Name   string                 `json:"name"`
	At     map[string]*QueryScale `json:"at"` // by scale name
	// Ratios between the largest and the smallest scale (p95), and the
	// worst handler/SQL ratio (p95) over the scales.
	ScaleRatio, HandlerRatio float64
	IndexOK                  bool
}

// QueryScale is a search at one scale.
type QueryScale struct {
	URL          string   `json:"url"`
	Handler      Stats    `json:"handler"`
	SQL          Stats    `json:"sql"` // the page and count statements, one after the other
	Total        string   `json:"total"`
	Statements   []string `json:"statements"`
	Plan         []string `json:"plan"`     // scan nodes of the statements' plans
	SeqScans     []string `json:"seqScans"` // sequential scans of large tables
	HandlerRatio float64  `json:"handlerRatio"`
}

// largeTables must never be read by a sequential scan in a search.
var largeTables = map[string]bool{"practice": true, "exemption": true, "practice_event": true,
	"exemption_event": true, "beneficiary": true, "registry_exemption": true}

// searchCase is a search of one screen; its query string is built from the
// data of the scale (a fiscal code that exists, dates around its "today").
type searchCase struct {
	screen, name, path string
	query              func(p scaleParams) url.Values
}

// scaleParams are values taken from a scale's data.
type scaleParams struct {
	today        time.Time
	practiceFC   string // a person with practices of the operator's ASL, open and closed
	exemptionFC  string // a person with several exemptions
	surname      string // a common surname (prefix searches use its first letters)
	code         string // a common exemption code
	closedFrom   time.Time
	closedTo     time.Time
	issuedFrom   time.Time
	issuedTo     time.Time
	recentFrom   time.Time
	combinedFrom time.Time
}

func day(t time.Time) string { return t.Format("02/01/2006") }

func values(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// searchCases are the filters of the manual's two practice tabs and of the
// Esenzioni tab, alone and combined.
func searchCases() []searchCase {
	var out []searchCase
	for _, tab := range []struct{ screen, path, state string }{
		{"Pratiche da fare", "/pratiche/da-fare", "IN_LAVORAZIONE"},
		{"Pratiche chiuse", "/pratiche/chiuse", "RESPINTA"},
	} {
		closed := tab.path == "/pratiche/chiuse"
		out = append(out,
			searchCase{tab.screen, "elenco (nessun filtro)", tab.path, func(p scaleParams) url.Values { return url.Values{} }},
			searchCase{tab.screen, "stato", tab.path, func(p scaleParams) url.Values { return values("stato", tab.state) }},
			searchCase{tab.screen, "codice", tab.path, func(p scaleParams) url.Values { return values("codice", p.code) }},
			searchCase{tab.screen, "date", tab.path, func(p scaleParams) url.Values {
				if closed {
					return values("da", day(p.closedFrom), "a", day(p.closedTo))
				}
				return values("da", day(p.recentFrom), "a", day(p.today))
			}},
			searchCase{tab.screen, "cognome (prefisso)", tab.path, func(p scaleParams) url.Values { return values("cognome", p.surname[:4]) }},
			searchCase{tab.screen, "codice fiscale", tab.path, func(p scaleParams) url.Values { return values("cf", p.practiceFC) }},
			searchCase{tab.screen, "combinati", tab.path, func(p scaleParams) url.Values {
				return values("cognome", p.surname[:4], "codice", p.code, "da", day(p.combinedFrom), "a", day(p.today))
			}},
		)
	}
	e := "Esenzioni"
	out = append(out,
		searchCase{e, "cognome (prefisso)", "/esenzioni", func(p scaleParams) url.Values { return values("cognome", p.surname[:4]) }},
		searchCase{e, "cognome", "/esenzioni", func(p scaleParams) url.Values { return values("cognome", p.surname) }},
		searchCase{e, "codice fiscale", "/esenzioni", func(p scaleParams) url.Values { return values("cf", p.exemptionFC) }},
		searchCase{e, "cognome + stato", "/esenzioni", func(p scaleParams) url.Values {
			return values("cognome", p.surname[:4], "stato", "SCADUTA")
		}},
		searchCase{e, "cognome + codice", "/esenzioni", func(p scaleParams) url.Values {
			return values("cognome", p.surname[:4], "codice", p.code)
		}},
		searchCase{e, "cognome + date", "/esenzioni", func(p scaleParams) url.Values {
			return values("cognome", p.surname[:4], "da", day(p.issuedFrom), "a", day(p.issuedTo))
		}},
		searchCase{e, "combinati", "/esenzioni", func(p scaleParams) url.Values {
			return values("cognome", p.surname[:4], "stato", "VALIDA", "codice", p.code, "da", day(p.issuedFrom), "a", day(p.issuedTo))
		}},
	)
	return out
}

const (
	searchSurname = "FERRERO" // the most common surname of the generated data
	searchCode    = "048"     // among the most common codes
	searchSeed    = 20261123
)

func (e *env) search(ctx context.Context) (*SearchReport, error) {
	rep := &SearchReport{}
	cases := searchCases()
	for _, c := range cases {
		rep.Queries = append(rep.Queries, SearchQuery{Screen: c.screen, Name: c.name, At: map[string]*QueryScale{}})
	}
	for _, sc := range e.opts.Scales {
		info, params, url, err := e.searchData(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("scale %s: %w", sc.Name, err)
		}
		rep.Scales = append(rep.Scales, info)
		if err := e.searchScale(ctx, sc, info, params, url, cases, rep); err != nil {
			return nil, fmt.Errorf("scale %s: %w", sc.Name, err)
		}
	}
	for i := range rep.Queries {
		q := &rep.Queries[i]
		q.IndexOK = true
		var p95s []float64
		for _, sc := range e.opts.Scales {
			at := q.At[sc.Name]
			if at == nil {
				continue
			}
			p95s = append(p95s, at.Handler.P95MS)
			q.HandlerRatio = max(q.HandlerRatio, at.HandlerRatio)
			q.IndexOK = q.IndexOK && len(at.SeqScans) == 0
		}
		if len(p95s) >= 2 {
			q.ScaleRatio = ratio(p95s[len(p95s)-1], p95s[0])
		}
	}
	return rep, nil
}

// searchData returns the database of a scale, generating it unless a
// previous run left it with the same size.
func (e *env) searchData(ctx context.Context, sc Scale) (ScaleInfo, scaleParams, string, error) {
	info := ScaleInfo{Name: sc.Name}
	name := "bench_" + strings.ToLower(sc.Name)
	url, created, err := e.database(ctx, name, false)
	if err != nil {
		return info, scaleParams{}, "", err
	}
	db, err := benchdata.Open(ctx, url) // the owner: generation rebuilds indexes
	if err != nil {
		return info, scaleParams{}, "", err
	}
	defer db.Close()
	var meta struct {
		Practices  int64     `bun:"practices"`
		Exemptions int64     `bun:"exemptions"`
		Today      time.Time `bun:"today"`
	}
	metaErr := sql.ErrNoRows
	if !created {
		metaErr = db.NewRaw("SELECT practices, exemptions, today FROM bench_meta").Scan(ctx, &meta)
	}
	if metaErr != nil || meta.Practices != int64(sc.Practices) || meta.Exemptions != int64(sc.Exemptions) {
		if !created {
			db.Close()
			if url, _, err = e.database(ctx, name, true); err != nil {
				return info, scaleParams{}, "", err
			}
			if db, err = benchdata.Open(ctx, url); err != nil {
				return info, scaleParams{}, "", err
			}
			defer db.Close()
		}
		progress(e.opts.Out, "search: generating %s (%d practices, %d exemptions)", sc.Name, sc.Practices, sc.Exemptions)
		g, err := benchdata.Generate(ctx, db, benchdata.Options{Practices: sc.Practices, Exemptions: sc.Exemptions, Seed: searchSeed})
		if err != nil {
			return info, scaleParams{}, "", err
		}
		// Searches in production run on vacuumed tables (autovacuum):
		// visibility maps set, so index-only scans are index-only. Every
		// table of the new database (the catalogue too), or autovacuum
		// does it a minute later, in the middle of the timed searches.
		if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
			return info, scaleParams{}, "", err
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE bench_meta (practices bigint, exemptions bigint, today timestamptz)"); err != nil {
			return info, scaleParams{}, "", err
		}
		if _, err := db.NewRaw("INSERT INTO bench_meta VALUES (?, ?, ?)", sc.Practices, sc.Exemptions, g.Now).Exec(ctx); err != nil {
			return info, scaleParams{}, "", err
		}
		meta.Today = g.Now
		info.Generated = g.Elapsed.Round(time.Second).String()
		info.RowsPerSecond = int64(g.RowsPerSecond())
	} else {
		progress(e.opts.Out, "search: reusing %s from a previous run", sc.Name)
	}
	info.GeneratedAt = meta.Today.Format(time.DateOnly)
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_commit (at timestamptz, note text); GRANT INSERT ON bench_commit TO "+migrations.AppRole); err != nil {
		return info, scaleParams{}, "", err
	}
	for _, c := range []struct {
		n *int64
		q string
	}{
		{&info.Practices, "SELECT count(*) FROM practice"},
		{&info.Exemptions, "SELECT count(*) FROM exemption"},
		{&info.Beneficiaries, "SELECT count(*) FROM beneficiary"},
	} {
		if err := db.NewRaw(c.q).Scan(ctx, c.n); err != nil {
			return info, scaleParams{}, "", err
		}
	}
	// The operator works for the largest ASL.
	if err := db.NewRaw("SELECT asl_code, count(*) FROM practice GROUP BY 1 ORDER BY 2 DESC LIMIT 1").Scan(ctx, &info.ASL, &info.ASLPractices); err != nil {
		return info, scaleParams{}, "", err
	}
	today := meta.Today.In(exemption.Rome)
	p := scaleParams{
		today: today, surname: searchSurname, code: searchCode,
		recentFrom: today.AddDate(0, 0, -30), combinedFrom: today.AddDate(-1, 0, 0),
		closedFrom: today.AddDate(-1, -6, 0), closedTo: today.AddDate(-1, -3, 0),
		issuedFrom: today.AddDate(-2, 0, 0), issuedTo: today.AddDate(-1, 0, 0),
	}
	err = db.NewRaw(`SELECT beneficiary_fc FROM practice WHERE asl_code = ? GROUP BY 1
ORDER BY count(*) FILTER (WHERE state IN ('INVIATA', 'IN_LAVORAZIONE')) > 0 DESC, count(*) DESC LIMIT 1`, info.ASL).Scan(ctx, &p.practiceFC)
	if err != nil {
		return info, p, "", fmt.Errorf("pick a person with practices: %w", err)
	}
	if err := db.NewRaw(`SELECT beneficiary_fc FROM exemption WHERE asl_code = ? AND beneficiary_fc >= 'M'
ORDER BY beneficiary_fc LIMIT 1`, info.ASL).Scan(ctx, &p.exemptionFC); err != nil {
		return info, p, "", fmt.Errorf("pick a person with exemptions: %w", err)
	}
	return info, p, url, nil
}

// statementRecorder keeps the search statements a handler runs.
type statementRecorder struct {
	mu    sync.Mutex
	on    bool
	stmts []string
}

func (r *statementRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *statementRecorder) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	q := ev.Query
	if !strings.HasPrefix(q, "SELECT") {
		return
	}
	if !strings.Contains(q, "FROM practice AS p") && !strings.Contains(q, "FROM exemption AS exemption") {
		return
	}
	r.mu.Lock()
	if r.on {
		r.stmts = append(r.stmts, q)
	}
	r.mu.Unlock()
}

func (r *statementRecorder) record(on bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.stmts
	r.on, r.stmts = on, nil
	return out
}

func (e *env) searchScale(ctx context.Context, sc Scale, info ScaleInfo, p scaleParams, dbURL string, cases []searchCase, rep *SearchReport) error {
	a, base, stop, err := e.serve(ctx, dbURL)
	if err != nil {
		return err
	}
	defer stop()
	rec := &statementRecorder{}
	a.DB.AddQueryHook(rec)
	if err := benchOperator(ctx, a.Store, info.ASL); err != nil {
		return err
	}
	sess, err := loginAs(base, "bench."+info.ASL)
	if err != nil {
		return err
	}
	reps := max(e.opts.Repetitions, 5)
	progress(e.opts.Out, "search: %s, %d searches × %d runs through the handler and as SQL", sc.Name, len(cases), reps)
	e.quiet("search " + sc.Name)
	// A first pass over every search loads the pages the searches read
	// (at 2M they are not all in memory after the previous scale ran).
	for _, c := range cases {
		for k := 0; k < 5; k++ {
			if _, _, err := fetch(sess.http, base+c.path+"?"+c.query(p).Encode()); err != nil {
				return err
			}
		}
	}
	for i, c := range cases {
		u := base + c.path + "?" + c.query(p).Encode()
		qs := &QueryScale{URL: strings.TrimPrefix(u, base)}
		// Warm up (caches, plans), and record the statements the handler runs.
		for k := 0; k < 3; k++ {
			rec.record(true)
			body, status, err := fetch(sess.http, u)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("%s: %d", qs.URL, status)
			}
			qs.Total = strings.TrimPrefix(between(body, `data-testid="totale"><strong>`, "<"), "Risultati trovati: ")
			qs.Statements = rec.record(false)
		}
		if len(qs.Statements) == 0 {
			return fmt.Errorf("%s: no search statement recorded", qs.URL)
		}
		var h, s Sample
		// Alternate handler and SQL runs so that noise hits both alike.
		for k := 0; k < reps; k++ {
			t := time.Now()
			if _, _, err := fetch(sess.http, u); err != nil {
				return err
			}
			h.Add(time.Since(t))
			t = time.Now()
			for _, stmt := range qs.Statements {
				if err := drain(ctx, a.DB, stmt); err != nil {
					return err
				}
			}
			s.Add(time.Since(t))
		}
		qs.Handler, qs.SQL = h.Stats(), s.Stats()
		qs.HandlerRatio = ratio(qs.Handler.P95MS, qs.SQL.P95MS)
		for _, stmt := range qs.Statements {
			nodes, seq, err := explain(ctx, a.DB, stmt)
			if err != nil {
				return err
			}
			qs.Plan = append(qs.Plan, strings.Join(nodes, " + "))
			qs.SeqScans = append(qs.SeqScans, seq...)
		}
		rep.Queries[i].At[sc.Name] = qs
	}
	var cs Sample
	for k := 0; k < reps; k++ {
		t := time.Now()
		if _, err := a.DB.ExecContext(ctx, "INSERT INTO bench_commit VALUES (now(), 'audit-sized row')"); err != nil {
			return err
		}
		cs.Add(time.Since(t))
	}
	rep.Commit = cs.Stats()
	return nil
}

func fetch(hc *http.Client, u string) (string, int, error) {
	resp, err := hc.Get(u)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

// drain runs a statement and reads every row, as the handler does.
func drain(ctx context.Context, db *bun.DB, stmt string) error {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(sql.RawBytes)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// explain returns the scan nodes of a statement's plan ("Index Scan on
// practice using practice_state_list") and the sequential scans of large
// tables among them.
func explain(ctx context.Context, db *bun.DB, stmt string) (nodes, seq []string, err error) {
	var raw string
	if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+stmt).Scan(&raw); err != nil {
		return nil, nil, err
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(raw), &plans); err != nil {
		return nil, nil, err
	}
	if len(plans) == 0 {
		return nil, nil, errors.New("explain: no plan")
	}
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.Relation != "" {
			desc := n.Type + " on " + n.Relation
			if n.Index != "" {
				desc += " using " + n.Index
			}
			nodes = append(nodes, desc)
			if n.Type == "Seq Scan" && largeTables[n.Relation] {
				seq = append(seq, desc)
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	sort.Strings(nodes)
	return nodes, seq, nil
}

type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Plans    []planNode `json:"Plans"`
}

func (r *SearchReport) markdown() string {
	var b strings.Builder
	b.WriteString("\n### Searches: handler and raw SQL, at every scale\n\n")
	for _, s := range r.Scales {
		gen := "reused from a previous run"
		if s.Generated != "" {
			gen = fmt.Sprintf("generated in %s (%d rows/s)", s.Generated, s.RowsPerSecond)
		}
		fmt.Fprintf(&b, "- **%s**: %d practices (%d in the operator's ASL %s), %d exemptions, %d people; data of %s, %s.\n",
			s.Name, s.Practices, s.ASLPractices, s.ASL, s.Exemptions, s.Beneficiaries, s.GeneratedAt, gen)
	}
	b.WriteString("\n| screen | search |")
	for _, s := range r.Scales {
		fmt.Fprintf(&b, " %s handler p50 / p95 ms | %s SQL p50 / p95 ms | %s results |", s.Name, s.Name, s.Name)
	}
	b.WriteString(" scale ratio p95 (<= 1.5) | handler/SQL p95 (<= 3) | index only (no seq scan) |\n|---|---|")
	for range r.Scales {
		b.WriteString("---|---|---|")
	}
	b.WriteString("---|---|---|\n")
	for _, q := range r.Queries {
		fmt.Fprintf(&b, "| %s | %s |", q.Screen, q.Name)
		for _, s := range r.Scales {
			at := q.At[s.Name]
			if at == nil {
				b.WriteString(" | | |")
				continue
			}
			fmt.Fprintf(&b, " %.1f / %.1f | %.1f / %.1f | %s |", at.Handler.P50MS, at.Handler.P95MS, at.SQL.P50MS, at.SQL.P95MS, at.Total)
		}
		fmt.Fprintf(&b, " %.2f (%s) | %.2f (%s) | %s |\n", q.ScaleRatio, mark(q.ScaleRatio <= 1.5), q.HandlerRatio, mark(q.HandlerRatio <= 3), mark(q.IndexOK))
	}
	fmt.Fprintf(&b, "\nA one-row insert and its commit (what the audit row of every search adds to the handler): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms.\n",
		r.Commit.P50MS, r.Commit.P95MS, r.Commit.P99MS)
	if len(r.Scales) > 0 {
		last := r.Scales[len(r.Scales)-1].Name
		fmt.Fprintf(&b, "\nPlans at %s (scan nodes of the page and count statements):\n\n", last)
		for _, q := range r.Queries {
			if at := q.At[last]; at != nil {
				fmt.Fprintf(&b, "- %s, %s: %s\n", q.Screen, q.Name, strings.Join(at.Plan, "; "))
			}
		}
	}
	return b.String()
}
