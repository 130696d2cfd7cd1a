package benchdata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/store"
)

var (
	practiceCols = []string{
		"number", "asl_code", "district_id", "beneficiary_fc", "beneficiary_last_name", "beneficiary_first_name",
		"submitter_kind", "submitter_fc", "submitter_role", "exemption_code", "diagnosis_code", "state", "version",
		"last_seq", "created_at", "updated_at", "closed_at", "reject_reason_code", "valid_from", "valid_until", "exemption_id",
		"state_since",
	}
	practiceEventCols = []string{
		"practice_number", "seq", "at", "action", "actor_fc", "actor_role", "actor_asl", "state",
		"beneficiary_note", "internal_note", "reason_code",
	}
	exemptionCols = []string{
		"id", "practice_number", "registry_id", "beneficiary_fc", "beneficiary_last_name", "beneficiary_first_name",
		"asl_code", "exemption_code", "diagnosis_code", "issued_on", "end_date", "state", "source", "issued_by_fc",
		"issued_by_role", "version", "last_seq", "publication_state", "published_version", "created_at", "updated_at",
	}
	exemptionEventCols = []string{
		"exemption_id", "seq", "at", "action", "actor_fc", "actor_role", "state", "old_end_date", "new_end_date", "note",
	}
	registryCols = []string{
		"exemption_id", "beneficiary_fc", "exemption_code", "diagnosis_code", "issued_on", "end_date", "state",
		"version", "published_at",
	}
)

// Notes operators write, for a little realism in the cronologia.
var (
	internalNotes = []string{
		"In attesa di integrazione documentale.", "Contattato il medico certificatore per chiarimenti.",
		"Verificata la residenza in anagrafe.", "Richiesto certificato specialistico aggiornato.",
		"Documentazione completa, da validare.", "Sollecitata la struttura per la copia firmata.",
	}
	beneficiaryNotes = []string{
		"Si prega di integrare la domanda con il certificato dello specialista.",
		"La documentazione allegata non e' leggibile: si prega di ripresentarla.",
		"Il certificato deve essere rilasciato da una struttura pubblica o accreditata.",
		"Per la diagnosi indicata occorre la relazione clinica completa.",
	}
)

// streams are the COPYs of phase two.
type streams struct {
	practice, practiceEvent, exemption, exemptionEvent, registry *stream
}

func (s *streams) all() []*stream {
	return []*stream{s.practice, s.practiceEvent, s.exemption, s.exemptionEvent, s.registry}
}

func (s *streams) failed(ctx context.Context) error {
	errs := []error{ctx.Err()}
	for _, st := range s.all() {
		errs = append(errs, st.err)
	}
	return errors.Join(errs...)
}

// load generates and copies every table.
func (g *generator) load(ctx context.Context, db *bun.DB, rep *Report) error {
	ben, err := startCopy(ctx, db, TableBeneficiary, beneficiaryCols)
	if err != nil {
		return err
	}
	g.progressf("generating %d beneficiaries", g.opts.Beneficiaries)
	genErr := g.genPeople(ctx, ben)
	ben.close(ctx, genErr)
	started := []*stream{ben}
	var st streams
	if genErr == nil {
		for _, x := range []struct {
			s     **stream
			table string
			cols  []string
		}{
			{&st.practice, TablePractice, practiceCols},
			{&st.practiceEvent, TablePracticeEvent, practiceEventCols},
			{&st.exemption, TableExemption, exemptionCols},
			{&st.exemptionEvent, TableExemptionEvent, exemptionEventCols},
			{&st.registry, TableRegistryExemption, registryCols},
		} {
			s, err := startCopy(ctx, db, x.table, x.cols)
			if err != nil {
				genErr = err
				break
			}
			*x.s = s
			started = append(started, s)
		}
	}
	if genErr == nil {
		g.progressf("generating %d practices", g.opts.Practices)
		genErr = g.genPractices(ctx, &st)
	}
	if genErr == nil {
		genErr = g.genRegistry(ctx, &st)
	}
	for _, s := range started[1:] {
		s.close(ctx, genErr)
	}
	g.progressf("waiting for the COPYs to finish")
	errs := []error{genErr}
	for _, s := range started {
		res := s.wait()
		rep.Rows[s.table] = res.rows
		rep.Copy[s.table] = res.elapsed
		if res.err != nil && !errors.Is(res.err, genErr) {
			errs = append(errs, res.err)
		}
	}
	rep.OmocodeCodes = g.omocodes
	rep.PracticeStates, rep.ExemptionStates, rep.ExemptionSources = g.practiceStates, g.exemptionStates, g.exemptionSources
	return errors.Join(errs...)
}

// Practices -----------------------------------------------------------------

type practiceEvent struct {
	at     time.Time
	action practice.Action
	state  string
	actor  actor
	asl    string // actor_asl: the operator's ASL, empty for submitters
	bnote  string
	inote  string
	reason string
}

// optDate is a nullable calendar date.
type optDate struct {
	t  time.Time
	ok bool
}

func someDate(t time.Time) optDate { return optDate{t: t, ok: true} }

// genPractices creates the practices in creation order, with their
// cronologia and, for validated ones, their exemption.
func (g *generator) genPractices(ctx context.Context, st *streams) error {
	n := g.opts.Practices
	r := g.r
	for i := range n {
		if i%1024 == 0 {
			if err := st.failed(ctx); err != nil {
				return err
			}
			g.tick("practices", i, n)
		}
		created := g.tl.at((float64(i) + r.Float64()) / float64(n))
		pi, ci, di, err := g.pickPerson()
		if err != nil {
			return err
		}
		if err := g.practice(ctx, st, created, pi, ci, di); err != nil {
			return err
		}
	}
	return nil
}

// pickPerson draws the beneficiary of a practice and the condition it is
// for: the person's next code not yet held.
func (g *generator) pickPerson() (pi, ci, di int, err error) {
	for range 100 {
		pi = g.r.IntN(len(g.people))
		p := &g.people[pi]
		if p.slots >= maxSlots {
			continue
		}
		if ci, di, ok := g.personCode(pi, int(p.slots)); ok {
			return pi, ci, di, nil
		}
	}
	return 0, 0, 0, fmt.Errorf("benchdata: too few beneficiaries (%d) for %d practices", len(g.people), g.opts.Practices)
}

// lognormal draws a duration with the given median and spread.
func (g *generator) lognormal(median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*g.r.NormFloat64()))
}

// between returns an instant between a and b at fraction lo..hi.
func (g *generator) between(a, b time.Time, lo, hi float64) time.Time {
	f := lo + (hi-lo)*g.r.Float64()
	return a.Add(time.Duration(f * float64(b.Sub(a)))).Truncate(time.Microsecond)
}

// officeHours weighs the hours 8:00-17:59 of operators' work.
var officeHours = newSampler([]float64{1.0, 1.4, 1.5, 1.5, 1.2, 0.6, 1.1, 1.2, 1.0, 0.6}, 8)

// office moves an operator's action at t to office hours (8:00-18:00 in
// Europe/Rome, Monday to Friday) of the same day, or the next Monday for a
// weekend, unless that leaves [lo, hi].
func (g *generator) office(t, lo, hi time.Time) time.Time {
	l := t.In(exemption.Rome)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, exemption.Rome)
	switch l.Weekday() {
	case time.Saturday:
		day = day.AddDate(0, 0, 2)
	case time.Sunday:
		day = day.AddDate(0, 0, 1)
	}
	h := officeHours.pick(g.r)
	x := day.Add(time.Duration(h)*time.Hour + time.Duration(g.r.Int64N(int64(time.Hour)))).Truncate(time.Microsecond)
	if x.Before(lo) || x.After(hi) {
		return t
	}
	return x
}

func (g *generator) operator(a *aslInfo) actor { return a.operators[g.r.IntN(len(a.operators))] }

func (g *generator) practice(ctx context.Context, st *streams, created time.Time, pi, ci, di int) error {
	r := g.r
	p := &g.people[pi]
	asl := g.asls[p.asl]
	code, diag := &g.codes[ci], g.codes[ci].diags[di]
	fc := string(p.fc[:])
	first, last := g.names.first[p.first], g.names.surnames[p.last]

	// State: recent practices are mostly open, old ones closed.
	var state string
	if r.Float64() < openProbability(g.tl.ageDays(created), g.tauOpen) {
		state = stInLavorazione
		if r.Float64() < shareInviata {
			state = stInviata
		}
	} else {
		switch u := r.Float64(); {
		case u < shareValidata:
			state = stValidata
		case u < shareValidata+shareRespinta:
			state = stRespinta
		default:
			state = stAnnullata
		}
	}

	// Submitter: mostly the certifying doctor; a minor's practice is filed
	// by a parent.
	kind, sub := practice.SubmitterDoctor, actor{}
	switch u := r.Float64(); {
	case u < 0.70:
		sub = actor{fc: asl.doctors[asl.doctorPick.pick(r)], role: string(access.MedicoSpecialista)}
	case u < 0.90 && created.Sub(p.birthDate()) >= 18*365*24*time.Hour:
		kind, sub = practice.SubmitterCitizen, actor{fc: fc, role: string(access.Cittadino)}
	default:
		kind, sub = practice.SubmitterDelegate, actor{fc: g.relativeFC(p), role: string(access.Delegato)}
	}

	year := exemption.DateOf(created).Year()
	counter := asl.counters[year] + 1
	asl.counters[year] = counter
	number, err := practice.FormatNumber(year, asl.code, counter)
	if err != nil {
		return fmt.Errorf("benchdata: %w", err)
	}

	// Cronologia, as practice.Steps writes it.
	evs := append(g.pevs[:0], practiceEvent{at: created, action: practice.Submit, state: stInviata, actor: sub})
	commands := 0
	add := func(e practiceEvent) {
		evs = append(evs, e)
	}
	op := g.operator(asl)
	opEvent := func(at time.Time, a practice.Action, state string) practiceEvent {
		return practiceEvent{at: at, action: a, state: state, actor: op, asl: asl.code}
	}
	budget := g.now.Sub(created)
	closeWithin := func(median time.Duration) time.Time {
		d := g.lognormal(median, 0.9)
		if d >= budget {
			d = time.Duration(float64(budget) * (0.2 + 0.78*r.Float64()))
		}
		return created.Add(d).Truncate(time.Microsecond)
	}
	note := func(from, to time.Time) {
		e := opEvent(g.office(g.between(from, to, 0.2, 0.8), from, to), practice.AddNote, stInLavorazione)
		e.inote = internalNotes[r.IntN(len(internalNotes))]
		if r.IntN(4) == 0 {
			e.bnote = beneficiaryNotes[r.IntN(len(beneficiaryNotes))]
		}
		add(e)
		commands++
	}
	var closedAt time.Time
	var rejectReason string
	switch state {
	case stInLavorazione:
		d := g.lognormal(36*time.Hour, 1)
		if d >= budget {
			d = time.Duration(float64(budget) * (0.05 + 0.9*r.Float64()))
		}
		take := g.office(created.Add(d).Truncate(time.Microsecond), created, g.now)
		add(opEvent(take, practice.Take, stInLavorazione))
		commands++
		if r.Float64() < 0.15 {
			note(take, g.now)
		}
	case stValidata, stRespinta:
		closedAt = g.office(closeWithin(6*24*time.Hour), created, g.now)
		viaTake := r.Float64() < 0.55
		if viaTake {
			take := g.office(g.between(created, closedAt, 0.1, 0.6), created, closedAt)
			add(opEvent(take, practice.Take, stInLavorazione))
			commands++
			if r.Float64() < 0.10 {
				note(take, closedAt)
			}
			if r.Float64() < 0.2 {
				op = g.operator(asl) // a colleague closes it
			}
		}
		if state == stValidata {
			if !viaTake {
				add(opEvent(closedAt, practice.Validate, stInLavorazione))
			}
			add(opEvent(closedAt, practice.Validate, stValidata))
		} else {
			rejectReason = g.rejects[g.rejectPick.pick(r)]
			e := opEvent(closedAt, practice.Reject, stRespinta)
			e.reason = rejectReason
			if rejectReason == "ALTRO" || r.Float64() < 0.5 {
				e.bnote = beneficiaryNotes[r.IntN(len(beneficiaryNotes))]
			}
			add(e)
		}
		commands++
	case stAnnullata:
		closedAt = closeWithin(3 * 24 * time.Hour)
		bySubmitter := r.Float64() < 0.55
		if !bySubmitter {
			closedAt = g.office(closedAt, created, g.now)
		}
		if r.Float64() < 0.4 {
			add(opEvent(g.office(g.between(created, closedAt, 0.1, 0.6), created, closedAt), practice.Take, stInLavorazione))
			commands++
		}
		if bySubmitter {
			add(practiceEvent{at: closedAt, action: practice.Cancel, state: stAnnullata, actor: sub})
		} else {
			e := opEvent(closedAt, practice.Cancel, stAnnullata)
			e.bnote = "Pratica annullata su richiesta dell'assistito."
			add(e)
		}
		commands++
	}
	g.pevs = evs

	// The exemption of a validated practice.
	var exID int64
	var validFrom time.Time
	var validUntil optDate
	if state == stValidata {
		validFrom = exemption.DateOf(closedAt)
		if end, ok := diag.dur.EndDate(validFrom); ok {
			validUntil = someDate(end)
		}
		exID = g.exemption(ctx, st, exemptionSpec{
			person: p, asl: asl, code: code.code, diag: diag, issueAt: closedAt, issued: validFrom, end: validUntil,
			issuer: op, practiceNumber: number, note: "Pratica " + number,
		})
		p.validated++
		g.validated++
	}
	if state != stRespinta && state != stAnnullata {
		p.slots++ // a rejected or cancelled practice leaves the condition free for a new one
	}
	g.practiceStates[state]++

	s := st.practice
	s.raw(number)
	s.raw(asl.code)
	if p.district == noDistrict {
		s.null()
	} else {
		s.int(asl.districts[p.district])
	}
	s.raw(fc)
	s.str(last)
	s.str(first)
	s.raw(string(kind))
	s.raw(sub.fc)
	s.raw(sub.role)
	s.str(code.code)
	s.str(diag.code)
	s.raw(state)
	s.int(int64(1 + commands))
	s.int(int64(len(evs)))
	s.ts(created)
	s.ts(evs[len(evs)-1].at)
	if closedAt.IsZero() {
		s.null()
	} else {
		s.ts(closedAt)
	}
	if rejectReason == "" {
		s.null()
	} else {
		s.str(rejectReason)
	}
	if exID == 0 {
		s.null()
		s.null()
		s.null()
	} else {
		s.date(validFrom)
		if validUntil.ok {
			s.date(validUntil.t)
		} else {
			s.null()
		}
		s.int(exID)
	}
	// When it entered its state: the newest event that is not a note.
	since := created
	for _, e := range evs {
		if e.action != practice.AddNote {
			since = e.at
		}
	}
	s.ts(since)
	s.end(ctx)

	e := st.practiceEvent
	for i, ev := range evs {
		e.raw(number)
		e.int(int64(i + 1))
		e.ts(ev.at)
		e.raw(string(ev.action))
		e.raw(ev.actor.fc)
		e.raw(ev.actor.role)
		e.raw(ev.asl)
		e.raw(ev.state)
		e.str(ev.bnote)
		e.str(ev.inote)
		e.str(ev.reason)
		e.end(ctx)
	}
	return nil
}

// relativeFC is the fiscal code of a family member filing for p: a parent
// for a child, a son or daughter for the elderly, else a spouse.
func (g *generator) relativeFC(p *person) string {
	by := p.birthDate().Year()
	from, to := by-5, by+5
	switch age := g.now.Year() - by; {
	case age < 25:
		from, to = by-42, by-22
	case age > 70:
		from, to = by+22, by+40
	}
	to = min(to, g.now.Year()-19)
	from = min(from, to)
	surname := int(p.last)
	if g.r.IntN(3) == 0 {
		surname = -1 // a spouse or a married daughter
	}
	return g.adultFC(g.asls[p.asl].prov, surname, from, to)
}

// Exemptions ----------------------------------------------------------------

type exemptionEvent struct {
	at       time.Time
	action   string
	actor    actor
	state    string
	old, new optDate
	note     string
}

type exemptionSpec struct {
	person         *person
	asl            *aslInfo
	code           string
	diag           diagInfo
	issueAt        time.Time
	issued         time.Time
	end            optDate
	issuer         actor  // empty for the registry
	practiceNumber string // empty for the registry
	registryID     string // empty for practices
	note           string
}

var reminderOffsets = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour}

// exemption writes an exemption with its history (emission, reminders,
// renewals, expiry or revocation up to now, as the exemption workflow
// records them) and its registry publication; it returns the new id.
func (g *generator) exemption(ctx context.Context, st *streams, x exemptionSpec) int64 {
	r := g.r
	id := g.nextExemption
	g.nextExemption++
	sys := actor{role: string(access.Sistema)}

	evs := append(g.eevs[:0], exemptionEvent{at: x.issueAt, action: string(exemption.Issue), actor: x.issuer, state: exValida, new: x.end, note: x.note})
	state, cur, t, version := exValida, x.end, x.issueAt, 1

	revoked := r.Float64() < revocationShare
	var tv time.Time
	if revoked {
		limit := g.now
		if cur.ok {
			if e := exemption.EndOfDay(cur.t); e.Before(limit) {
				limit = e
			}
		}
		if limit.After(x.issueAt) {
			tv = g.between(x.issueAt, limit, 0.05, 0.999)
			tv = g.office(tv, x.issueAt.Add(time.Microsecond), limit)
		}
		revoked = tv.After(x.issueAt)
	}
	for renewals := 0; cur.ok; renewals++ {
		exp := exemption.EndOfDay(cur.t)
		horizon := exp
		var tr time.Time
		renew := renewals < 6 && !x.diag.dur.Unlimited() && r.Float64() < renewalShare
		if renew {
			lo := exemption.ReminderAt(cur.t, reminderOffsets[0])
			if lo.Before(t) {
				lo = t
			}
			tr = g.office(g.between(lo, exp, 0.05, 0.95), lo.Add(time.Microsecond), exp.Add(-time.Microsecond))
			horizon = tr
		}
		for _, off := range reminderOffsets {
			at := exemption.ReminderAt(cur.t, off)
			if at.After(t) && at.Before(horizon) && !at.After(g.now) && (!revoked || at.Before(tv)) {
				note := fmt.Sprintf("Promemoria di scadenza (%d giorni prima): nessun indirizzo email noto", off/(24*time.Hour))
				if r.IntN(4) == 0 {
					note = fmt.Sprintf("Promemoria di scadenza (%d giorni prima): email inviata", off/(24*time.Hour))
				}
				evs = append(evs, exemptionEvent{at: at, action: string(exemption.Remind), actor: sys, state: exValida, old: cur, new: cur, note: note})
			}
		}
		if revoked && !tv.After(horizon) {
			break
		}
		if renew {
			if tr.After(g.now) {
				break // the renewal is still to come
			}
			end, _ := x.diag.dur.EndDate(cur.t.AddDate(0, 0, 1))
			version++
			evs = append(evs, exemptionEvent{at: tr, action: string(exemption.Renew), actor: g.operator(x.asl), state: exValida, old: cur, new: someDate(end)})
			cur, t = someDate(end), tr
			continue
		}
		if !exp.After(g.now) {
			version++
			state = exScaduta
			evs = append(evs, exemptionEvent{at: exp, action: string(exemption.Expire), actor: sys, state: exScaduta, old: cur, new: cur})
			revoked = false
		}
		break
	}
	if revoked && state == exValida {
		end := someDate(exemption.DateOf(tv))
		version++
		state = exAnnullata
		evs = append(evs, exemptionEvent{at: tv, action: string(exemption.Revoke), actor: g.operator(x.asl), state: exAnnullata, old: cur, new: end})
		cur = end
	}
	g.eevs = evs
	updated := evs[len(evs)-1].at
	p := x.person
	fc := string(p.fc[:])

	s := st.exemption
	s.int(id)
	source := "REGISTRO"
	if x.practiceNumber != "" {
		source = "PRATICA"
		s.raw(x.practiceNumber)
		s.null()
	} else {
		s.null()
		s.raw(x.registryID)
	}
	s.raw(fc)
	s.str(g.names.surnames[p.last])
	s.str(g.names.first[p.first])
	s.raw(x.asl.code)
	s.str(x.code)
	s.str(x.diag.code)
	s.date(x.issued)
	s.optDate(cur)
	s.raw(state)
	s.raw(source)
	if x.issuer.fc == "" {
		s.null()
		s.null()
	} else {
		s.raw(x.issuer.fc)
		s.raw(x.issuer.role)
	}
	s.int(int64(version))
	s.int(int64(len(evs)))
	s.raw(store.PublicationDone)
	s.int(int64(version))
	s.ts(x.issueAt)
	s.ts(updated)
	s.end(ctx)

	e := st.exemptionEvent
	for i, ev := range evs {
		e.int(id)
		e.int(int64(i + 1))
		e.ts(ev.at)
		e.raw(ev.action)
		e.raw(ev.actor.fc)
		e.raw(ev.actor.role)
		e.raw(ev.state)
		e.optDate(ev.old)
		e.optDate(ev.new)
		e.str(ev.note)
		e.end(ctx)
	}

	published := updated.Add(time.Duration(1+r.IntN(30)) * time.Second)
	if published.After(g.now) {
		published = g.now
	}
	reg := st.registry
	reg.int(id)
	reg.raw(fc)
	reg.str(x.code)
	reg.str(x.diag.code)
	reg.date(x.issued)
	reg.optDate(cur)
	reg.raw(state)
	reg.int(int64(version))
	reg.ts(published)
	reg.end(ctx)

	g.exemptionStates[state]++
	g.exemptionSources[source]++
	return id
}

func (s *stream) optDate(d optDate) {
	if !d.ok {
		s.null()
		return
	}
	s.date(d.t)
}

// genRegistry adds the exemptions that came from the regional registry, up
// to Options.Exemptions: each person receives what it lacks of its target,
// scaled so the total is exact, on conditions it does not hold yet.
func (g *generator) genRegistry(ctx context.Context, st *streams) error {
	want := int64(g.opts.Exemptions) - g.validated
	if want <= 0 {
		return nil
	}
	g.progressf("generating %d registry exemptions", want)
	deficit := func(p *person) int64 { return int64(max(int(p.target)-int(p.validated), 0)) }
	var total int64
	for i := range g.people {
		total += deficit(&g.people[i])
	}
	uniform := total == 0
	if uniform {
		total = int64(len(g.people))
	}
	var cum, carry, made int64
	r := g.r
	oldest := g.today.AddDate(-25, 0, 0)
	for pi := range g.people {
		if pi%1024 == 0 {
			if err := st.failed(ctx); err != nil {
				return err
			}
			g.tick("registry exemptions", int(made), int(want))
		}
		p := &g.people[pi]
		d := int64(1)
		if !uniform {
			d = deficit(p)
		}
		prev := cum * want / total
		cum += d
		k := cum*want/total - prev + carry
		carry = 0
		for ; k > 0; k-- {
			if p.slots >= 250 {
				carry = k
				break
			}
			ci, di, ok := g.personCode(pi, int(p.slots))
			if !ok {
				carry = k
				break
			}
			p.slots++
			asl := g.asls[p.asl]
			diag := g.codes[ci].diags[di]
			// Issued at some point of the person's life, more often lately.
			lo := p.birthDate().AddDate(0, 6, 0)
			if lo.Before(oldest) {
				lo = oldest
			}
			hi := g.today.AddDate(0, 0, -1)
			if lo.After(hi) {
				lo = hi
			}
			span := hi.Sub(lo).Hours() / 24
			u := r.Float64()
			issued := hi.AddDate(0, 0, -int(span*math.Pow(u, 1.7)))
			issueAt := time.Date(issued.Year(), issued.Month(), issued.Day(), 8+r.IntN(10), r.IntN(60), r.IntN(60), 0, exemption.Rome)
			var end optDate
			if e, ok := diag.dur.EndDate(issued); ok {
				end = someDate(e)
			}
			regID := fmt.Sprintf("AURA-%010d", g.nextRegistry)
			g.nextRegistry++
			g.exemption(ctx, st, exemptionSpec{
				person: p, asl: asl, code: g.codes[ci].code, diag: diag, issueAt: issueAt, issued: issued, end: end,
				registryID: regID, note: "Esenzione rilasciata tramite AURA",
			})
			made++
		}
	}
	if made < want {
		g.progressf("warning: %d registry exemptions could not be placed (too few codes per person)", want-made)
	}
	return nil
}

// saveCounters stores the last practice number of each ASL and year, so
// that later intakes continue after the generated ones, and moves the
// exemption id sequence past the generated ids.
func (g *generator) saveCounters(ctx context.Context, db *bun.DB) (int, error) {
	n := 0
	for _, a := range g.asls {
		for year, last := range a.counters {
			_, err := db.ExecContext(ctx, `
INSERT INTO practice_counter (asl_code, year, last) VALUES (?, ?, ?)
ON CONFLICT (asl_code, year) DO UPDATE SET last = GREATEST(practice_counter.last, EXCLUDED.last)`, a.code, year, last)
			if err != nil {
				return n, fmt.Errorf("benchdata: practice counter: %w", err)
			}
			n++
		}
	}
	if g.nextExemption > 1 {
		if _, err := db.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('exemption', 'id'), ?)`, g.nextExemption-1); err != nil {
			return n, fmt.Errorf("benchdata: exemption sequence: %w", err)
		}
	}
	return n, nil
}
