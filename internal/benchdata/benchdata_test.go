package benchdata

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"esenzioni/domain/exemption"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/practice"
	"esenzioni/internal/testenv"
)

func TestNames(t *testing.T) {
	n := newNames()
	assert.GreaterOrEqual(t, distinctCount(n.surnames), 1000, "distinct surnames")
	assert.GreaterOrEqual(t, distinctCount(maleClassic, maleModern), 150, "distinct male names")
	assert.GreaterOrEqual(t, distinctCount(femaleClassic, femaleModern), 150, "distinct female names")
	for _, s := range []string{"ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI",
		"MARINO", "GRECO", "BRUNO", "GALLO", "CONTI", "DE LUCA", "COSTA", "GIORDANO", "MANCINI", "RIZZO",
		"LOMBARDI", "MORETTI", "FERRERO", "BERTOLA", "GIRAUDO", "CERUTTI", "DALMASSO", "MONDINO"} {
		assert.Contains(t, n.surnames, s)
	}
	for _, s := range n.surnames {
		assert.Equal(t, strings.ToUpper(s), s)
		assert.NotContains(t, s, "\t")
	}
	// The most common surname holds 0.3-0.5% of people.
	top := n.italianSurnames.prob(0)
	assert.InDelta(t, 0.004, top, 0.001, "share of the most common surname")

	r := rand.New(rand.NewPCG(1, 2))
	const draws = 400_000
	hits := 0
	for range draws {
		if n.surname(r, false) == 0 {
			hits++
		}
	}
	assert.InDelta(t, top, float64(hits)/draws, 0.0005)
}

func TestTimelineMonotonic(t *testing.T) {
	now := time.Date(2026, 3, 29, 15, 0, 0, 0, exemption.Rome) // a DST change
	tl := newTimeline(now, 4)
	prev := time.Time{}
	for i := range 100_000 {
		at := tl.at((float64(i) + 0.5) / 100_000)
		require.False(t, at.Before(prev), "quantile %d goes back: %s < %s", i, at, prev)
		require.False(t, at.After(now))
		prev = at
	}
	assert.True(t, tl.at(0).Before(now.AddDate(-3, -11, 0)))
	tau := tl.calibrateOpen(shareOpen)
	assert.Greater(t, tau, 1.0)
}

// snapshotSQL prints the indexes and constraints of the loaded tables.
func snapshotSQL(t *testing.T, db bun.IDB) []string {
	t.Helper()
	var out []string
	err := db.NewRaw(`
SELECT tablename || ' ' || indexname || ' ' || indexdef FROM pg_indexes
WHERE schemaname = current_schema() AND tablename IN (?)
UNION ALL
SELECT conrelid::regclass::text || ' ' || conname || ' ' || contype::text || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text
FROM pg_constraint WHERE conrelid IN (SELECT oid FROM pg_class WHERE relname IN (?)) OR confrelid IN (SELECT oid FROM pg_class WHERE relname IN (?))
ORDER BY 1`, bun.List(loadedTables), bun.List(loadedTables), bun.List(loadedTables)).Scan(context.Background(), &out)
	require.NoError(t, err)
	return out
}

func count(t *testing.T, db bun.IDB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.NewRaw(query, args...).Scan(context.Background(), &n), query)
	return n
}

func TestGenerate(t *testing.T) {
	tdb := testenv.Database(t)
	ctx := context.Background()
	db, err := Open(ctx, tdb.URL)
	require.NoError(t, err)
	defer db.Close()

	before := snapshotSQL(t, db)
	require.NotEmpty(t, before)
	var progress strings.Builder
	rep, err := Generate(ctx, db, Options{Practices: 5000, Exemptions: 12000, Seed: 42, Progress: &progress})
	require.NoError(t, err, progress.String())
	t.Logf("\n%s", rep)

	// The schema is back exactly as the migrations made it.
	assert.Equal(t, before, snapshotSQL(t, db))

	// Counts.
	assert.Equal(t, int64(5000), count(t, db, "SELECT count(*) FROM practice"))
	assert.Equal(t, int64(12000), count(t, db, "SELECT count(*) FROM exemption"))
	assert.Equal(t, int64(4000), count(t, db, "SELECT count(*) FROM beneficiary"))
	assert.Equal(t, int64(12000), count(t, db, "SELECT count(*) FROM registry_exemption"))
	for table, n := range rep.Rows {
		assert.Equal(t, n, count(t, db, "SELECT count(*) FROM "+table), table)
	}
	events := count(t, db, "SELECT count(*) FROM practice_event")
	assert.InDelta(t, 2.5, float64(events)/5000, 0.6, "events per practice")
	assert.GreaterOrEqual(t, count(t, db, "SELECT count(*) FROM exemption_event"), int64(12000))

	// Every fiscal code is valid and matches the person's data.
	var people []struct {
		FC    string    `bun:"fiscal_code"`
		Birth time.Time `bun:"birth_date"`
		Place string    `bun:"birth_place_code"`
		Sex   string    `bun:"sex"`
	}
	require.NoError(t, db.NewRaw("SELECT fiscal_code, birth_date, birth_place_code, sex FROM beneficiary").Scan(ctx, &people))
	omocodes := 0
	for _, p := range people {
		c, err := fiscalcode.Parse(p.FC, nil)
		if !assert.NoError(t, err, p.FC) {
			continue
		}
		assert.Equal(t, p.Birth.Format("0102")+strconv.Itoa(p.Birth.Year()%100), c.BirthDate.Format("0102")+strconv.Itoa(c.BirthDate.Year()%100), p.FC)
		assert.Equal(t, p.Sex, string(c.Sex), p.FC)
		assert.Equal(t, p.Place, c.PlaceCode, p.FC)
		if c.Omocode {
			omocodes++
		}
	}
	assert.Equal(t, rep.OmocodeCodes, omocodes)
	var others []string
	require.NoError(t, db.NewRaw(`
SELECT DISTINCT submitter_fc FROM practice
UNION SELECT DISTINCT actor_fc FROM practice_event WHERE actor_fc <> ''
UNION SELECT DISTINCT issued_by_fc FROM exemption WHERE issued_by_fc IS NOT NULL`).Scan(ctx, &others))
	for _, fc := range others {
		_, err := fiscalcode.Parse(fc, nil)
		assert.NoError(t, err, fc)
	}

	// State distribution as intended (8/5/70/12/5%).
	want := map[string]float64{stInviata: 8, stInLavorazione: 5, stValidata: 70, stRespinta: 12, stAnnullata: 5}
	var states []struct {
		State string `bun:"state"`
		N     int64  `bun:"n"`
	}
	require.NoError(t, db.NewRaw("SELECT state, count(*) AS n FROM practice GROUP BY state").Scan(ctx, &states))
	require.Len(t, states, len(want))
	for _, s := range states {
		assert.InDelta(t, want[s.State], 100*float64(s.N)/5000, 3, "share of %s", s.State)
	}
	// Old practices are closed.
	assert.Zero(t, count(t, db, "SELECT count(*) FROM practice WHERE state IN ('INVIATA', 'IN_LAVORAZIONE') AND created_at < ?::timestamptz - interval '2 years'", rep.Now))

	// Cronologia consistent with the state.
	assert.Zero(t, count(t, db, `
SELECT count(*) FROM practice p JOIN LATERAL (
  SELECT count(*) AS n, max(seq) AS maxseq, max(at) AS last_at,
         (array_agg(state ORDER BY seq DESC))[1] AS last_state,
         (array_agg(action ORDER BY seq))[1] AS first_action,
         (array_agg(at ORDER BY seq))[1] AS first_at,
         bool_and(at <= ?::timestamptz) AS past
  FROM practice_event e WHERE e.practice_number = p.number) e ON true
WHERE e.n <> p.last_seq OR e.maxseq <> e.n OR e.last_state <> p.state OR e.first_action <> 'INVIO'
   OR e.first_at <> p.created_at OR e.last_at <> p.updated_at OR NOT e.past
   OR (p.state IN ('VALIDATA', 'RESPINTA', 'ANNULLATA')) <> (p.closed_at IS NOT NULL)
   OR (p.state = 'RESPINTA') <> (p.reject_reason_code IS NOT NULL)
   OR p.version < 1 OR p.version > p.last_seq`, rep.Now))
	assert.Zero(t, count(t, db, `
SELECT count(*) FROM practice_event a JOIN practice_event b ON b.practice_number = a.practice_number AND b.seq = a.seq + 1
WHERE b.at < a.at`), "events in time order")

	// Validated practices and their exemptions.
	assert.Zero(t, count(t, db, `
SELECT count(*) FROM practice p LEFT JOIN exemption e ON e.id = p.exemption_id
WHERE (p.state = 'VALIDATA') <> (e.id IS NOT NULL)
   OR (e.id IS NOT NULL AND (e.practice_number <> p.number OR e.issued_on <> p.valid_from OR e.source <> 'PRATICA'
       OR e.beneficiary_fc <> p.beneficiary_fc OR e.exemption_code <> p.exemption_code))`))
	assert.Equal(t, count(t, db, "SELECT count(*) FROM practice WHERE state = 'VALIDATA'"),
		count(t, db, "SELECT count(*) FROM exemption WHERE source = 'PRATICA'"))
	assert.Zero(t, count(t, db, "SELECT count(*) FROM exemption WHERE (source = 'REGISTRO') <> (registry_id IS NOT NULL AND practice_number IS NULL)"))

	// Exemptions: at most one valid per person and code, states consistent
	// with the dates, history and registry consistent with the row.
	assert.Zero(t, count(t, db, "SELECT count(*) FROM (SELECT 1 FROM exemption WHERE state = 'VALIDA' GROUP BY beneficiary_fc, exemption_code HAVING count(*) > 1) d"))
	today := exemption.DateOf(rep.Now)
	assert.Zero(t, count(t, db, `
SELECT count(*) FROM exemption WHERE NOT (
   (state = 'VALIDA' AND (end_date IS NULL OR end_date >= ?::date))
OR (state = 'SCADUTA' AND end_date < ?::date)
OR (state = 'ANNULLATA' AND end_date <= ?::date))
OR end_date < issued_on`, today, today, today))
	assert.Zero(t, count(t, db, `
SELECT count(*) FROM exemption x JOIN LATERAL (
  SELECT count(*) AS n, max(seq) AS maxseq, (array_agg(action ORDER BY seq))[1] AS first_action,
         (array_agg(state ORDER BY seq DESC))[1] AS last_state, max(at) AS last_at
  FROM exemption_event e WHERE e.exemption_id = x.id) e ON true
JOIN registry_exemption r ON r.exemption_id = x.id
WHERE e.n <> x.last_seq OR e.maxseq <> e.n OR e.first_action <> 'EMISSIONE' OR e.last_state <> x.state
   OR e.last_at <> x.updated_at OR x.published_version <> x.version
   OR r.state <> x.state OR r.version <> x.version OR r.end_date IS DISTINCT FROM x.end_date`))
	var perPerson struct {
		Max int     `bun:"max"`
		Avg float64 `bun:"avg"`
	}
	require.NoError(t, db.NewRaw("SELECT max(n) AS max, avg(n) AS avg FROM (SELECT count(*) AS n FROM exemption GROUP BY beneficiary_fc) c").Scan(ctx, &perPerson))
	assert.LessOrEqual(t, perPerson.Max, 10)
	assert.InDelta(t, 3.2, perPerson.Avg, 0.8)
	assert.Equal(t, count(t, db, "SELECT max(id) FROM exemption"), count(t, db, "SELECT last_value FROM exemption_id_seq"))
	var exStates []struct {
		State string `bun:"state"`
		N     int64  `bun:"n"`
	}
	require.NoError(t, db.NewRaw("SELECT state, count(*) AS n FROM exemption GROUP BY 1 ORDER BY 1").Scan(ctx, &exStates))
	t.Logf("exemption states: %+v", exStates)

	// Practice numbers: well formed, per ASL and year, counters continue
	// after the highest.
	var numbers []struct {
		Number  string    `bun:"number"`
		ASL     string    `bun:"asl_code"`
		Created time.Time `bun:"created_at"`
	}
	require.NoError(t, db.NewRaw("SELECT number, asl_code, created_at FROM practice").Scan(ctx, &numbers))
	type key struct {
		asl  string
		year int
	}
	maxCounter, n := map[key]int64{}, map[key]int64{}
	for _, p := range numbers {
		num, err := practice.ParseNumber(p.Number)
		require.NoError(t, err)
		assert.Equal(t, p.ASL, num.ASLCode)
		assert.Equal(t, exemption.DateOf(p.Created).Year(), num.Year, p.Number)
		k := key{num.ASLCode, num.Year}
		maxCounter[k] = max(maxCounter[k], num.Counter)
		n[k]++
	}
	var counters []struct {
		ASL  string `bun:"asl_code"`
		Year int    `bun:"year"`
		Last int64  `bun:"last"`
	}
	require.NoError(t, db.NewRaw("SELECT asl_code, year, last FROM practice_counter").Scan(ctx, &counters))
	assert.Len(t, counters, len(maxCounter))
	for _, c := range counters {
		k := key{c.ASL, c.Year}
		assert.Equal(t, maxCounter[k], c.Last, "counter %v", k)
		assert.Equal(t, n[k], c.Last, "numbers of %v are 1..last", k)
	}
	// Numbers grow with creation time within an ASL and year.
	assert.Zero(t, count(t, db, `
SELECT count(*) FROM (SELECT number, created_at, lag(created_at) OVER (PARTITION BY left(number, 10) ORDER BY number) AS prev FROM practice) p
WHERE prev > created_at`))

	// Realistic selectivity: the most common surname and its prefix.
	top := newNames().surnames[0]
	share := float64(count(t, db, "SELECT count(*) FROM beneficiary WHERE last_name = ?", top)) / 4000
	assert.InDelta(t, 0.004, share, 0.0025, "share of %s among beneficiaries", top)
	prefix := float64(count(t, db, "SELECT count(*) FROM practice WHERE beneficiary_last_name LIKE ?", top+"%")) / 5000
	assert.InDelta(t, 0.005, prefix, 0.004, "share of practices for %s%%", top)
	distinct := count(t, db, "SELECT count(DISTINCT last_name) FROM beneficiary")
	assert.Greater(t, distinct, int64(900), "distinct surnames among 4000 people")

	// ASL spread like the population: the City of Turin about 20%.
	torino := float64(count(t, db, "SELECT count(*) FROM practice p JOIN asl a ON a.code = p.asl_code WHERE a.short_name = 'CITTA'' DI TORINO'")) / 5000
	assert.InDelta(t, 0.20, torino, 0.03)
	// A few codes dominate.
	var topCodes []string
	require.NoError(t, db.NewRaw("SELECT exemption_code FROM practice GROUP BY 1 ORDER BY count(*) DESC LIMIT 4").Scan(ctx, &topCodes))
	assert.Subset(t, []string{"0A31", "048", "013", "0031", "0A02"}, topCodes)
	// Districts belong to the ASL.
	assert.Zero(t, count(t, db, "SELECT count(*) FROM practice p JOIN district d ON d.id = p.district_id WHERE d.asl_code <> p.asl_code"))
	assert.Zero(t, count(t, db, "SELECT count(*) FROM beneficiary WHERE district_id IS NULL"))

	// Statistics are there for the planner.
	assert.Positive(t, count(t, db, "SELECT count(*) FROM pg_stats WHERE tablename = 'practice'"))
}

// dumpHash digests the generated tables, for the determinism test.
func dumpHash(t *testing.T, db bun.IDB) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		"SELECT md5(string_agg(t::text, '|' ORDER BY fiscal_code)) FROM beneficiary t",
		"SELECT md5(string_agg(t::text, '|' ORDER BY number)) FROM practice t",
		"SELECT md5(string_agg(t::text, '|' ORDER BY practice_number, seq)) FROM practice_event t",
		"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM exemption t",
		"SELECT md5(string_agg(t::text, '|' ORDER BY exemption_id, seq)) FROM exemption_event t",
		"SELECT md5(string_agg(t::text, '|' ORDER BY exemption_id)) FROM registry_exemption t",
		"SELECT md5(string_agg(t::text, '|' ORDER BY asl_code, year)) FROM practice_counter t",
	} {
		var h string
		require.NoError(t, db.NewRaw(q).Scan(context.Background(), &h), q)
		parts = append(parts, h)
	}
	return strings.Join(parts, ",")
}

func TestGenerateDeterministic(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 2, 17, 11, 0, 0, 0, exemption.Rome)
	run := func(seed uint64) string {
		tdb := testenv.Database(t)
		db, err := Open(ctx, tdb.URL)
		require.NoError(t, err)
		defer db.Close()
		_, err = Generate(ctx, db, Options{Practices: 600, Exemptions: 1500, Seed: seed, Now: now})
		require.NoError(t, err)
		return dumpHash(t, db)
	}
	a, b, c := run(7), run(7), run(8)
	assert.Equal(t, a, b, "same seed, same data")
	assert.NotEqual(t, a, c, "another seed, other data")
}

func TestGenerateRefusals(t *testing.T) {
	tdb := testenv.Database(t)
	ctx := context.Background()
	// The application role owns nothing: it cannot drop the indexes.
	_, err := Generate(ctx, tdb.DB, Options{Practices: 10, Exemptions: 10})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "owner")

	db, err := Open(ctx, tdb.URL)
	require.NoError(t, err)
	defer db.Close()
	before := snapshotSQL(t, db)
	_, err = Generate(ctx, db, Options{Practices: 50, Exemptions: 100, Seed: 1})
	require.NoError(t, err)
	// A second run would mix with the first.
	_, err = Generate(ctx, db, Options{Practices: 50, Exemptions: 100, Seed: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already has rows")
	assert.Equal(t, before, snapshotSQL(t, db))
}

// TestGenerateScale logs the throughput at a larger size, for the README
// figures: BENCHDATA_SCALE=200000 (practices; exemptions 2.5 times that).
func TestGenerateScale(t *testing.T) {
	v := os.Getenv("BENCHDATA_SCALE")
	if v == "" {
		t.Skip("set BENCHDATA_SCALE=<practices> to measure the generation at scale")
	}
	practices, err := strconv.Atoi(v)
	require.NoError(t, err)
	tdb := testenv.Database(t)
	ctx := context.Background()
	db, err := Open(ctx, tdb.URL)
	require.NoError(t, err)
	defer db.Close()
	rep, err := Generate(ctx, db, Options{Practices: practices, Exemptions: practices * 5 / 2, Seed: 1, Progress: testWriter{t}})
	require.NoError(t, err)
	t.Logf("\n%s", rep)
	t.Logf("%d practices, %d exemptions: %d rows in %s, %.0f rows/s", practices, practices*5/2, rep.TotalRows(), rep.Elapsed.Round(time.Millisecond), rep.RowsPerSecond())
}

// BenchmarkGenerate measures a generation of 200,000 practices and 500,000
// exemptions (run with -bench Generate -benchtime 1x).
func BenchmarkGenerate(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		tdb := testenv.Database(b)
		db, err := Open(ctx, tdb.URL)
		require.NoError(b, err)
		b.StartTimer()
		rep, err := Generate(ctx, db, Options{Practices: 200_000, Exemptions: 500_000, Seed: 1})
		b.StopTimer()
		require.NoError(b, err)
		b.ReportMetric(rep.RowsPerSecond(), "rows/s")
		b.ReportMetric(float64(rep.TotalRows()), "rows")
		b.Logf("\n%s", rep)
		db.Close()
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// distinctCount reports how many distinct strings list holds (tests).
func distinctCount(lists ...[]string) int {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.Sort(all)
	return len(slices.Compact(all))
}
