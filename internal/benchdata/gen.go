package benchdata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
)

// aslProfiles weights the ASL like their population and says where their
// residents live. Keys are asl.short_name; an ASL not listed gets
// defaultASLWeight and the province of Turin.
var aslProfiles = map[string]struct {
	weight   float64
	province string
}{
	"CITTA' DI TORINO": {20, "TO"}, "TO3": {14, "TO"}, "TO4": {12, "TO"}, "TO5": {7, "TO"},
	"CN1": {9, "CN"}, "CN2": {4, "CN"}, "AL": {10, "AL"}, "AT": {5, "AT"},
	"NO": {8, "NO"}, "VC": {4, "VC"}, "BI": {4, "BI"}, "VCO": {3, "VB"},
}

const (
	defaultASLWeight = 3
	cityASL          = "CITTA' DI TORINO" // its residents live in Turin itself
)

// Province capitals, for the share of people born (and living) there.
var capitals = map[string]string{
	"TO": "TORINO", "CN": "CUNEO", "AL": "ALESSANDRIA", "AT": "ASTI", "NO": "NOVARA", "VC": "VERCELLI",
	"BI": "BIELLA", "VB": "VERBANIA", "NA": "NAPOLI", "PA": "PALERMO", "BA": "BARI", "RC": "REGGIO DI CALABRIA",
	"CT": "CATANIA", "CS": "COSENZA", "FG": "FOGGIA", "AG": "AGRIGENTO", "TA": "TARANTO", "ME": "MESSINA",
	"CZ": "CATANZARO", "LE": "LECCE", "SA": "SALERNO", "CA": "CAGLIARI", "AV": "AVELLINO", "CB": "CAMPOBASSO",
	"PZ": "POTENZA", "MT": "MATERA", "CL": "CALTANISSETTA", "EN": "ENNA", "TP": "TRAPANI", "SR": "SIRACUSA",
	"RG": "RAGUSA", "BR": "BRINDISI", "CE": "CASERTA", "BN": "BENEVENTO", "GE": "GENOVA", "MI": "MILANO",
	"VE": "VENEZIA", "RO": "ROVIGO", "UD": "UDINE", "PD": "PADOVA", "TV": "TREVISO", "BG": "BERGAMO", "BS": "BRESCIA",
}

var piedmontProvinces = []string{"TO", "CN", "AL", "AT", "NO", "VC", "BI", "VB"}

// Provinces of birth of people who moved to Piedmont from elsewhere in
// Italy, mostly from the South in the 1950s-70s, with weights.
var migrationProvinces = []struct {
	code   string
	weight float64
}{
	{"NA", 10}, {"PA", 8}, {"BA", 8}, {"RC", 8}, {"CT", 6}, {"CS", 6}, {"FG", 7}, {"AG", 5}, {"TA", 4},
	{"ME", 5}, {"CZ", 5}, {"LE", 4}, {"SA", 4}, {"CA", 3}, {"AV", 3}, {"CB", 2}, {"PZ", 4}, {"MT", 2},
	{"CL", 3}, {"EN", 3}, {"TP", 3}, {"SR", 2}, {"RG", 2}, {"BR", 3}, {"CE", 3}, {"BN", 2}, {"GE", 4},
	{"MI", 4}, {"VE", 4}, {"RO", 4}, {"UD", 3}, {"PD", 3}, {"TV", 3}, {"BG", 2}, {"BS", 2},
}

// Countries of birth of people born abroad (Belfiore codes), with weights.
var foreignCountries = []struct {
	code   string
	weight float64
}{
	{"Z129", 30}, {"Z330", 15}, {"Z100", 12}, {"Z210", 6}, {"Z140", 6}, {"Z138", 5}, {"Z611", 5},
	{"Z216", 3}, {"Z336", 4}, {"Z335", 4}, {"Z343", 3}, {"Z110", 4}, {"Z133", 3}, {"Z600", 3}, {"Z112", 3},
}

// codeWeights makes a few exemption codes dominate, as in the real
// caseload: hypertension, cancer, diabetes, heart disease. Codes not listed
// weigh defaultCodeWeight.
var codeWeights = map[string]float64{
	"0A31": 18, "048": 15, "013": 14, "0031": 8, "031": 8, "0A02": 8, "044": 5, "0C02": 3, "027": 3,
	"056": 3, "019": 2.5, "0B02": 2, "021": 2, "024": 1.5, "006": 1.5, "029": 1, "011": 1, "038": 1,
	"009": 1, "059": 1, "023": 1, "025": 1, "035": 1, "045": 0.8, "046": 0.8, "016": 0.7, "061": 0.7, "052": 0.5,
}

const defaultCodeWeight = 0.2

// rejectWeights spreads rejections over the configured reasons.
var rejectWeights = map[string]float64{
	"DOCUMENTAZIONE_MANCANTE": 35, "REQUISITI_NON_SUFFICIENTI": 20, "DIAGNOSI_NON_CORRISPONDENTE": 12,
	"CERTIFICATO_NON_VALIDO": 10, "DOCUMENTAZIONE_NON_FIRMATA": 8, "RICHIESTA_DUPLICATA": 7,
	"NON_RESIDENTE": 4, "ALTRO": 4,
}

var streets = []string{
	"VIA ROMA", "VIA GARIBALDI", "CORSO FRANCIA", "VIA MAZZINI", "VIA CAVOUR", "VIA VITTORIO EMANUELE II",
	"VIA NIZZA", "VIA PO", "CORSO VINZAGLIO", "VIA MONVISO", "VIA DANTE ALIGHIERI", "VIA MATTEOTTI",
	"VIA GRAMSCI", "PIAZZA DELLA LIBERTA'", "VIA XX SETTEMBRE", "VIA IV NOVEMBRE", "VIA DEI MILLE",
	"CORSO ITALIA", "VIA SAN FRANCESCO", "VIA CESARE BATTISTI", "VIA TORINO", "VIA MILANO", "VIA ALBA",
	"VIA CUNEO", "VIA ASTI", "VIA DON BOSCO", "VIA SILVIO PELLICO", "VIA CARLO ALBERTO", "VIA DELLA REPUBBLICA",
	"STRADA PROVINCIALE", "VIA CHIVASSO", "VIA DEL CASTELLO", "VIA PIAVE", "VIA MARCONI", "VIA VERDI",
}

// Practice state shares: open ones (INVIATA, IN_LAVORAZIONE) are recent.
const (
	shareOpen       = 0.13
	shareInviata    = 0.08 / shareOpen // of the open ones
	shareValidata   = 0.70 / (1 - shareOpen)
	shareRespinta   = 0.12 / (1 - shareOpen)
	maxSlots        = 8    // codes one person may hold through practices
	revocationShare = 0.02 // exemptions revoked by an operator
	renewalShare    = 0.35 // expiring exemptions renewed before their end
)

// Practice states and actions as the workflow writes them.
const (
	stInviata       = "INVIATA"
	stInLavorazione = "IN_LAVORAZIONE"
	stValidata      = "VALIDATA"
	stRespinta      = "RESPINTA"
	stAnnullata     = "ANNULLATA"

	exValida    = "VALIDA"
	exScaduta   = "SCADUTA"
	exAnnullata = "ANNULLATA"
)

type province struct {
	code    string
	comuni  []places.Place
	capital *places.Place
}

type actor struct {
	fc   string
	role string
}

type aslInfo struct {
	code       string
	weight     float64
	prov       *province
	city       bool
	districts  []int64
	residence  []string // comuni of residence (capital first when weighted)
	capitalRes float64  // share of residents in residence[0]
	operators  []actor
	doctors    []string
	doctorPick sampler
	counters   map[int]int64 // year -> last counter used
}

type diagInfo struct {
	code string
	dur  exemption.Duration
}

type codeInfo struct {
	code  string
	diags []diagInfo
	pick  sampler
}

// person is what the generator keeps of a beneficiary to link practices
// and exemptions to it: about 32 bytes.
type person struct {
	fc        [16]byte
	birth     int32 // days since 1970-01-01
	first     uint16
	last      uint16
	asl       uint8
	district  uint8 // index in aslInfo.districts; noDistrict if none
	target    uint8 // exemptions this person should end up with
	slots     uint8 // distinct codes used (validated or open practices, registry exemptions)
	validated uint8 // exemptions from practices
}

const noDistrict = 255

type generator struct {
	opts  Options
	start time.Time
	now   time.Time
	today time.Time // exemption.DateOf(now)

	names      *names
	reg        *places.Registry
	provinces  map[string]*province
	torino     places.Place
	asls       []*aslInfo
	aslPick    sampler
	migration  []*province
	migPick    sampler
	foreign    []string
	foreignPk  sampler
	birthYears []int
	birthPick  sampler
	codes      []codeInfo
	codePick   sampler
	rejects    []string
	rejectPick sampler
	tl         *timeline
	tauOpen    float64

	r   *rand.Rand // the main sequence: everything but per-person codes
	pcg *rand.PCG  // reseeded per person for its codes
	pr  *rand.Rand
	use []bool

	people []person
	seen   map[[16]byte]struct{}

	nextExemption int64
	nextRegistry  int64
	validated     int64
	omocodes      int
	lastProgress  time.Time

	pevs []practiceEvent
	eevs []exemptionEvent

	practiceStates   map[string]int64
	exemptionStates  map[string]int64
	exemptionSources map[string]int64
}

func newGenerator(ctx context.Context, db *bun.DB, opts Options) (*generator, error) {
	g := &generator{
		opts: opts, start: time.Now(), now: opts.Now, today: exemption.DateOf(opts.Now),
		names: newNames(), reg: places.Default(), provinces: map[string]*province{},
		r:   rand.New(rand.NewPCG(opts.Seed, 0x62656e6368646174)),
		pcg: rand.NewPCG(0, 0), nextExemption: 1, nextRegistry: 1,
		practiceStates: map[string]int64{}, exemptionStates: map[string]int64{}, exemptionSources: map[string]int64{},
	}
	g.pr = rand.New(g.pcg)
	var ok bool
	if g.torino, ok = g.reg.Find("TORINO", "TO"); !ok {
		return nil, errors.New("benchdata: the places registry has no TORINO")
	}
	if err := g.loadCatalogue(ctx, db); err != nil {
		return nil, err
	}
	g.tl = newTimeline(g.now, opts.Years)
	g.tauOpen = g.tl.calibrateOpen(shareOpen)

	// Birth years: everyone was born before the practices window opens;
	// chronic conditions make older people more frequent.
	last := min(2020, g.tl.start().Year()-1)
	var w []float64
	for y := 1925; y <= last; y++ {
		g.birthYears = append(g.birthYears, y)
		w = append(w, 0.25+max(0, 1-math.Abs(float64(y-1950))/28))
	}
	if len(g.birthYears) == 0 {
		return nil, fmt.Errorf("benchdata: no birth years before %d", last)
	}
	g.birthPick = newSampler(w, 0)

	var fw []float64
	for _, c := range foreignCountries {
		if _, ok := g.reg.Lookup(c.code, g.now); ok {
			g.foreign = append(g.foreign, c.code)
			fw = append(fw, c.weight)
		}
	}
	if len(g.foreign) == 0 {
		return nil, errors.New("benchdata: none of the foreign countries is in the places registry")
	}
	g.foreignPk = newSampler(fw, 0)
	var mw []float64
	for _, m := range migrationProvinces {
		if p := g.province(m.code); len(p.comuni) > 0 {
			g.migration = append(g.migration, p)
			mw = append(mw, m.weight)
		}
	}
	if len(g.migration) == 0 {
		g.migration = []*province{g.province("TO")}
		mw = []float64{1}
	}
	g.migPick = newSampler(mw, 0)
	g.makeStaff()
	return g, nil
}

// province returns the comuni of a province (cached).
func (g *generator) province(code string) *province {
	if p, ok := g.provinces[code]; ok {
		return p
	}
	p := &province{code: code, comuni: g.reg.Comuni(code)}
	if name, ok := capitals[code]; ok {
		if c, ok := g.reg.Find(name, code); ok {
			p.capital = &c
		}
	}
	g.provinces[code] = p
	return p
}

func (g *generator) loadCatalogue(ctx context.Context, db *bun.DB) error {
	var asls []struct {
		Code      string `bun:"code"`
		ShortName string `bun:"short_name"`
	}
	if err := db.NewRaw("SELECT code, short_name FROM asl ORDER BY code").Scan(ctx, &asls); err != nil {
		return fmt.Errorf("benchdata: read ASL: %w", err)
	}
	if len(asls) == 0 || len(asls) >= noDistrict {
		return fmt.Errorf("benchdata: the catalogue has %d ASL (load it with catalog.ImportEmbedded)", len(asls))
	}
	var districts []struct {
		ID      int64  `bun:"id"`
		ASLCode string `bun:"asl_code"`
	}
	if err := db.NewRaw("SELECT id, asl_code FROM district ORDER BY asl_code, id").Scan(ctx, &districts); err != nil {
		return fmt.Errorf("benchdata: read districts: %w", err)
	}
	var counters []struct {
		ASLCode string `bun:"asl_code"`
		Year    int    `bun:"year"`
		Last    int64  `bun:"last"`
	}
	if err := db.NewRaw("SELECT asl_code, year, last FROM practice_counter").Scan(ctx, &counters); err != nil {
		return fmt.Errorf("benchdata: read practice counters: %w", err)
	}
	var weights []float64
	for _, a := range asls {
		info := &aslInfo{code: a.Code, counters: map[int]int64{}}
		prof, ok := aslProfiles[a.ShortName]
		if !ok {
			prof.weight, prof.province = defaultASLWeight, "TO"
		}
		info.weight, info.prov, info.city = prof.weight, g.province(prof.province), a.ShortName == cityASL
		if len(info.prov.comuni) == 0 {
			return fmt.Errorf("benchdata: no comuni for province %s", prof.province)
		}
		for _, d := range districts {
			if d.ASLCode == a.Code && len(info.districts) < noDistrict {
				info.districts = append(info.districts, d.ID)
			}
		}
		for _, c := range counters {
			if c.ASLCode == a.Code {
				info.counters[c.Year] = c.Last
			}
		}
		switch {
		case info.city:
			info.residence, info.capitalRes = []string{g.torino.Name}, 1
		default:
			if cap := info.prov.capital; cap != nil && info.prov.code != "TO" {
				info.residence, info.capitalRes = append(info.residence, cap.Name), 0.25
			}
			for _, c := range info.prov.comuni {
				if c.Code != g.torino.Code && (info.prov.capital == nil || c.Code != info.prov.capital.Code) {
					info.residence = append(info.residence, c.Name)
				}
			}
			if len(info.residence) == 0 {
				info.residence = []string{g.torino.Name}
			}
		}
		g.asls = append(g.asls, info)
		weights = append(weights, info.weight)
	}
	g.aslPick = newSampler(weights, 0)

	var links []struct {
		Code      string         `bun:"exemption_code"`
		Diagnosis string         `bun:"diagnosis_code"`
		Value     sql.NullInt64  `bun:"duration_value"`
		Unit      sql.NullString `bun:"duration_unit"`
	}
	err := db.NewRaw(`
SELECT ed.exemption_code, ed.diagnosis_code, ed.duration_value, ed.duration_unit
FROM exemption_diagnosis ed JOIN exemption_code c ON c.code = ed.exemption_code
WHERE c.active ORDER BY ed.exemption_code, ed.demo, ed.diagnosis_code`).Scan(ctx, &links)
	if err != nil {
		return fmt.Errorf("benchdata: read exemption codes: %w", err)
	}
	var cw []float64
	for i := 0; i < len(links); {
		ci := codeInfo{code: links[i].Code}
		var dw []float64
		for ; i < len(links) && links[i].Code == ci.code; i++ {
			d := diagInfo{code: links[i].Diagnosis}
			if links[i].Unit.Valid {
				d.dur = exemption.Duration{Value: int(links[i].Value.Int64), Unit: exemption.Unit(links[i].Unit.String)}
			}
			// The first diagnoses of a code are the most frequent; the
			// catalogue's demonstration rows come last, so the rarest.
			ci.diags = append(ci.diags, d)
			dw = append(dw, 1/float64(len(dw)+1))
		}
		ci.pick = newSampler(dw, 0)
		w, ok := codeWeights[ci.code]
		if !ok {
			w = defaultCodeWeight
		}
		g.codes = append(g.codes, ci)
		cw = append(cw, w)
	}
	if len(g.codes) == 0 {
		return errors.New("benchdata: no exemption code has diagnoses in the catalogue (load it with catalog.ImportEmbedded)")
	}
	g.codePick = newSampler(cw, 0)
	g.use = make([]bool, len(g.codes))

	var reasons []string
	if err := db.NewRaw("SELECT code FROM reject_reason WHERE active ORDER BY position, code").Scan(ctx, &reasons); err != nil {
		return fmt.Errorf("benchdata: read reject reasons: %w", err)
	}
	if len(reasons) == 0 {
		reasons = []string{"ALTRO"}
	}
	var rw []float64
	for _, r := range reasons {
		w, ok := rejectWeights[r]
		if !ok {
			w = 2
		}
		g.rejects = append(g.rejects, r)
		rw = append(rw, w)
	}
	g.rejectPick = newSampler(rw, 0)
	return nil
}

// makeStaff creates the doctors who submit practices and the ASL operators
// who handle them, with valid fiscal codes, in proportion to the workload.
func (g *generator) makeStaff() {
	total := 0.0
	for _, a := range g.asls {
		total += a.weight
	}
	for _, a := range g.asls {
		share := a.weight / total
		work := share * float64(max(g.opts.Practices, 1))
		nDoctors := min(max(int(work/250), 5), 4000)
		var dw []float64
		for i := range nDoctors {
			a.doctors = append(a.doctors, g.adultFC(a.prov, -1, 1950, 1992))
			dw = append(dw, 1/float64(i+5))
		}
		a.doctorPick = newSampler(dw, 0)
		nOps := min(max(int(work/20000)+4, 4), 60)
		for range nOps {
			role := access.OperatoreASL
			if g.r.IntN(5) == 0 {
				role = access.MedicoASL
			}
			a.operators = append(a.operators, actor{fc: g.adultFC(a.prov, -1, 1960, 1998), role: string(role)})
		}
	}
}

// adultFC is the fiscal code of someone born between two years in prov, of
// the given surname (-1 = any).
func (g *generator) adultFC(prov *province, surname int, from, to int) string {
	r := g.r
	birth := time.Date(from+r.IntN(to-from+1), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	sex := byte('M')
	if r.IntN(2) == 0 {
		sex = 'F'
	}
	first := g.names.firstName(r, sex, birth.Year(), false)
	if surname < 0 {
		surname = g.names.surname(r, false)
	}
	place := g.placeIn(prov, 0.4, birth)
	return fiscalcode.Generate(g.names.surnames[surname], g.names.first[first], birth, sex, place.Code)
}

// placeIn draws a comune of prov valid on the birth date, the capital with
// probability capitalShare.
func (g *generator) placeIn(prov *province, capitalShare float64, birth time.Time) places.Place {
	r := g.r
	if prov.capital != nil && r.Float64() < capitalShare {
		if p, ok := g.reg.Lookup(prov.capital.Code, birth); ok {
			return p
		}
	}
	for range 20 {
		if len(prov.comuni) == 0 {
			break
		}
		if p, ok := g.reg.Lookup(prov.comuni[r.IntN(len(prov.comuni))].Code, birth); ok {
			return p
		}
	}
	p, _ := g.reg.Lookup(g.torino.Code, birth)
	return p
}

// birthPlace draws where a resident of asl was born.
func (g *generator) birthPlace(asl *aslInfo, birth time.Time, foreign bool) places.Place {
	r := g.r
	if foreign {
		for range 10 {
			if p, ok := g.reg.Lookup(g.foreign[g.foreignPk.pick(r)], birth); ok {
				return p
			}
		}
	}
	south := 0.18
	if birth.Year() >= 1975 {
		south = 0.05
	}
	switch u := r.Float64(); {
	case u < south:
		return g.placeIn(g.migration[g.migPick.pick(r)], 0.45, birth)
	case u < south+0.08:
		return g.placeIn(g.province(piedmontProvinces[r.IntN(len(piedmontProvinces))]), 0.5, birth)
	case asl.city:
		return g.placeIn(asl.prov, 0.75, birth)
	default:
		return g.placeIn(asl.prov, 0.3, birth)
	}
}

func (g *generator) progressf(format string, args ...any) {
	if g.opts.Progress == nil {
		return
	}
	fmt.Fprintf(g.opts.Progress, "benchdata: %7.1fs  %s\n", time.Since(g.start).Seconds(), fmt.Sprintf(format, args...))
}

// tick reports progress every few seconds.
func (g *generator) tick(what string, done, total int) {
	if g.opts.Progress == nil {
		return
	}
	if now := time.Now(); now.Sub(g.lastProgress) >= 3*time.Second {
		g.lastProgress = now
		g.progressf("%s %d/%d (%.0f%%)", what, done, total, 100*float64(done)/float64(max(total, 1)))
	}
}

// Beneficiaries -------------------------------------------------------------

var beneficiaryCols = []string{
	"fiscal_code", "first_name", "last_name", "birth_date", "birth_place_code", "birth_place_name", "sex",
	"residence_address", "residence_comune", "asl_code", "district_id", "card_number", "email", "demo", "updated_at",
}

// genPeople creates the beneficiaries, writing their rows to s.
func (g *generator) genPeople(ctx context.Context, s *stream) error {
	n := g.opts.Beneficiaries
	g.people = make([]person, n)
	g.seen = make(map[[16]byte]struct{}, n)
	defer func() { g.seen = nil }()
	mean := float64(g.opts.Exemptions) / float64(n)
	var scratch []byte
	for i := range n {
		if i%4096 == 0 {
			if err := errors.Join(ctx.Err(), s.err); err != nil {
				return err
			}
			g.tick("beneficiaries", i, n)
		}
		scratch = g.newPerson(i, s, mean, scratch)
		s.end(ctx)
	}
	return nil
}

func (g *generator) newPerson(i int, s *stream, meanExemptions float64, scratch []byte) []byte {
	r := g.r
	ai := g.aslPick.pick(r)
	asl := g.asls[ai]
	year := g.birthYears[g.birthPick.pick(r)]
	days := 365
	if year%4 == 0 {
		days = 366
	}
	birth := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(days))
	foreign := year >= 1950 && r.Float64() < 0.07
	sex := byte('M')
	if r.Float64() < 0.52 {
		sex = 'F'
	}
	first := g.names.firstName(r, sex, year, foreign)
	last := g.names.surname(r, foreign)
	place := g.birthPlace(asl, birth, foreign)
	fc, birth := g.uniqueFC(g.names.surnames[last], g.names.first[first], birth, sex, place)

	p := &g.people[i]
	p.fc = fc
	p.birth = int32(birth.Unix() / 86400)
	p.first, p.last, p.asl = uint16(first), uint16(last), uint8(ai)
	p.district = noDistrict
	if len(asl.districts) > 0 {
		p.district = uint8(r.IntN(len(asl.districts)))
	}
	p.target = uint8(min(targetExemptions(r, meanExemptions), 250))

	comune := asl.residence[0]
	if r.Float64() >= asl.capitalRes && len(asl.residence) > 1 {
		comune = asl.residence[1+r.IntN(len(asl.residence)-1)]
	}
	firstName, lastName := g.names.first[first], g.names.surnames[last]
	s.bytes(fc[:])
	s.str(firstName)
	s.str(lastName)
	s.date(birth)
	s.raw(place.Code)
	s.str(place.Name)
	s.raw(string(sex))
	// Address: a street and a civic number, low numbers more frequent.
	scratch = append(scratch[:0], streets[r.IntN(len(streets))]...)
	scratch = append(scratch, ' ')
	u := r.Float64()
	scratch = strconv.AppendInt(scratch, int64(1+int(180*u*u)), 10)
	s.str(string(scratch))
	s.str(comune)
	s.raw(asl.code)
	if p.district == noDistrict {
		s.null()
	} else {
		s.int(asl.districts[p.district])
	}
	scratch = append(scratch[:0], "80380"...)
	scratch = fmt.Appendf(scratch, "%015d", r.Uint64N(1e15))
	s.bytes(scratch)
	if r.Float64() < 0.25 {
		s.str(email(firstName, lastName, year))
	} else {
		s.raw("")
	}
	s.bool(false)
	s.ts(g.now.Add(-time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour)))))
	return scratch
}

// targetExemptions draws how many exemptions a person holds, 1 to 5 with
// the given mean (0 or 1 when the mean is below 1).
func targetExemptions(r *rand.Rand, mean float64) int {
	if mean <= 1 {
		if r.Float64() < mean {
			return 1
		}
		return 0
	}
	n := 4
	if mean > 4 {
		n = int(math.Ceil(2 * (mean - 1)))
	}
	p := (mean - 1) / float64(n)
	t := 1
	for range n {
		if r.Float64() < p {
			t++
		}
	}
	return t
}

func email(first, last string, year int) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return r - 'A' + 'a'
			}
			return -1
		}, s)
	}
	return fmt.Sprintf("%s.%s%02d@example.com", clean(first), clean(last), year%100)
}

// omocodePositions are the digits omocodia replaces, rightmost first.
var omocodePositions = [...]int{14, 13, 12, 10, 9, 7, 6}

const omocodeLetters = "LMNPQRSTUV"

// uniqueFC returns the person's fiscal code, made unique as the tax office
// does: a code already given goes to omocodia, replacing digits with letters
// from the right. If every omocode is taken (never in practice), the birth
// date moves by a day.
func (g *generator) uniqueFC(surname, name string, birth time.Time, sex byte, place places.Place) ([16]byte, time.Time) {
	for {
		var fc [16]byte
		copy(fc[:], fiscalcode.Generate(surname, name, birth, sex, place.Code))
		for level := 0; level <= len(omocodePositions); level++ {
			if level > 0 {
				pos := omocodePositions[level-1]
				fc[pos] = omocodeLetters[fc[pos]-'0']
				fc[15] = fiscalcode.CheckChar(string(fc[:15]))
			}
			if _, taken := g.seen[fc]; !taken {
				g.seen[fc] = struct{}{}
				if level > 0 {
					g.omocodes++
				}
				return fc, birth
			}
		}
		next := birth.AddDate(0, 0, 1)
		if _, ok := g.reg.Lookup(place.Code, next); !ok || next.Year() != birth.Year() {
			next = birth.AddDate(0, 0, -1)
		}
		birth = next
	}
}

// personCode returns the code and diagnosis of a person's slot-th distinct
// condition: a sequence fixed by the seed and the person alone, so codes
// never repeat for one person and practices and registry exemptions agree.
func (g *generator) personCode(pi int, slot int) (ci, di int, ok bool) {
	if slot >= len(g.codes) {
		return 0, 0, false
	}
	g.pcg.Seed(g.opts.Seed^0x5851f42d4c957f2d, uint64(pi))
	clear(g.use)
	for range slot + 1 {
		for tries := 0; ; tries++ {
			if tries > 1000 {
				return 0, 0, false
			}
			c := g.codePick.pick(g.pr)
			if !g.use[c] {
				g.use[c] = true
				ci = c
				break
			}
		}
		di = g.codes[ci].pick.pick(g.pr)
	}
	return ci, di, true
}

func (p *person) birthDate() time.Time { return time.Unix(int64(p.birth)*86400, 0).UTC() }
