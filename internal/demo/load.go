package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"esenzioni/adapters/attachments"
	"esenzioni/adapters/auth"
	"esenzioni/adapters/signature"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/internal/app"
	"esenzioni/internal/testpki"
	"esenzioni/internal/testsign"
	"esenzioni/service/practices"
	"esenzioni/store"
	"esenzioni/workflows"
	"esenzioni/workflows/searchattr"
)

// Account is a demo login, printed by `esenzioni dev`.
type Account struct {
	Username, Password, PIN, Description string
}

// Demo credentials. They are public: demo data is for local use only.
const (
	Password = "Esenzioni2026!"
	PIN      = "123456"
	// TokenDoctor and TokenPortal are bearer tokens of the demo API clients.
	TokenDoctor = "demo-medico-0123456789abcdef"
	TokenPortal = "demo-portale-0123456789abcdef"
)

// DoctorFiscalCode is the fiscal code of the demo doctor, GIOVANNI VERDI,
// the owner of TokenDoctor (and the signer of the demo documents).
func DoctorFiscalCode() string {
	return fiscalcode.Generate("VERDI", "GIOVANNI", time.Date(1966, 5, 4, 0, 0, 0, 0, time.UTC), 'M', "L219")
}

// Report tells what Load did.
type Report struct {
	Accounts      []Account
	Beneficiaries int
	Registry      int
	Practices     int
	Elapsed       time.Duration
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "demo data ready in %s: %d operators, %d beneficiaries, %d registry exemptions, %d practices\n",
		r.Elapsed.Round(time.Millisecond), len(r.Accounts), r.Beneficiaries, r.Registry, r.Practices)
	for _, a := range r.Accounts {
		fmt.Fprintf(&b, "  %-22s %s / %s  %s\n", a.Username, a.Password, a.PIN, a.Description)
	}
	fmt.Fprintf(&b, "  API tokens: %s (doctor), %s (citizen portal)\n", TokenDoctor, TokenPortal)
	return b.String()
}

type operatorSpec struct {
	username, first, last, birth string
	sex                          byte
	profiles                     []profileSpec
	desc                         string
}

type profileSpec struct {
	role     access.Role
	asl      string // "" = regional
	location string
}

var operators = []operatorSpec{
	{"operatore.to3", "LIBERO", "CERRUTI", "1963-06-10", 'M', []profileSpec{{access.OperatoreASL, "010203", "DISTRETTO AREA M CENTRO"}}, "operatore ASL TO3"},
	{"medico.to3", "CHIARA", "BALBO", "1975-04-21", 'F', []profileSpec{{access.MedicoASL, "010203", "DISTRETTO AREA M SUD"}}, "medico di distretto ASL TO3"},
	{"operatore.cn2", "PAOLA", "GIACHINO", "1981-09-02", 'F', []profileSpec{{access.OperatoreASL, "010211", "DISTRETTO BRA"}}, "operatore ASL CN2"},
	{"operatore.cn1", "MARCO", "DALMASSO", "1970-12-12", 'M', []profileSpec{{access.OperatoreASL, "010210", "DISTRETTO CUNEO"}}, "operatore ASL CN1"},
	{"operatore.torino", "ELENA", "FERRERO", "1988-01-30", 'F', []profileSpec{{access.OperatoreASL, "010301", "DISTRETTO NORD EST"}}, "operatore ASL Città di Torino"},
	{"amministratore", "AUREL", "VENTIDUE", "1992-02-26", 'M', []profileSpec{
		{access.Amministratore, "", "CSI PIEMONTE"},
		{access.OperatoreASL, "010203", "DISTRETTO AREA M CENTRO"},
	}, "amministratore regionale (e operatore TO3: «Cambia» profilo)"},
}

// Load writes the demo data. It needs the catalogue already imported and
// the worker running (practices are created through their workflows).
func Load(ctx context.Context, a *app.App, svc *practices.Service) (Report, error) {
	start := time.Now()
	rep := Report{}
	reg := places.Default()
	torino, _ := reg.Find("TORINO", "TO")
	for _, o := range operators {
		birth, _ := time.Parse("2006-01-02", o.birth)
		fc := fiscalcode.Generate(o.last, o.first, birth, o.sex, torino.Code)
		if err := upsertOperator(ctx, a.Store, o, fc); err != nil {
			return rep, err
		}
		rep.Accounts = append(rep.Accounts, Account{Username: o.username, Password: Password, PIN: PIN, Description: o.desc})
	}
	doctorFC := DoctorFiscalCode()
	for _, c := range []struct {
		name, token string
		kinds       []string
		fc          *string
	}{
		{"demo-cartella-medico", TokenDoctor, []string{string(practice.SubmitterDoctor)}, &doctorFC},
		{"demo-portale-salute-piemonte", TokenPortal, []string{string(practice.SubmitterCitizen), string(practice.SubmitterDelegate)}, nil},
	} {
		cl := &store.APIClient{Name: c.name, TokenHash: auth.Digest(c.token), SubmitterKinds: c.kinds, FiscalCode: c.fc, Demo: true}
		if err := a.Store.UpsertAPIClient(ctx, cl); err != nil {
			return rep, fmt.Errorf("demo: api client: %w", err)
		}
	}

	ppl, err := people(reg, 300)
	if err != nil {
		return rep, err
	}
	districts, err := a.Store.Districts(ctx)
	if err != nil {
		return rep, err
	}
	byASL := map[string][]store.District{}
	for _, d := range districts {
		byASL[d.ASLCode] = append(byASL[d.ASLCode], d)
	}
	r := rand.New(rand.NewPCG(7, 42))
	for _, p := range ppl {
		b := store.Beneficiary{
			FiscalCode: p.FiscalCode, FirstName: p.FirstName, LastName: p.LastName, BirthDate: p.BirthDate,
			BirthPlaceCode: p.BirthPlace.Code, BirthPlaceName: p.BirthPlace.Name, Sex: string(p.Sex),
			ResidenceAddress: p.ResidenceAddress, ResidenceComune: p.ResidenceComune, ASLCode: p.ASL,
			CardNumber: p.CardNumber, Email: p.Email, Demo: true, UpdatedAt: time.Now(),
		}
		if ds := byASL[p.ASL]; len(ds) > 0 {
			id := ds[r.IntN(len(ds))].ID
			b.DistrictID = &id
		}
		if err := a.Store.InsertBeneficiaryIfMissing(ctx, &b); err != nil {
			return rep, fmt.Errorf("demo: beneficiary: %w", err)
		}
	}
	rep.Beneficiaries = len(ppl)

	links, err := a.Store.DiagnosisLinksWithServices(ctx)
	if err != nil {
		return rep, err
	}
	if len(links) == 0 {
		return rep, errors.New("demo: the catalogue has no diagnosis with exempt services; import it first")
	}
	if rep.Registry, err = registryExemptions(ctx, a, ppl, links); err != nil {
		return rep, err
	}
	if rep.Practices, err = demoPractices(ctx, a, svc, ppl, links); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func upsertOperator(ctx context.Context, st *store.Store, o operatorSpec, fc string) error {
	existing, err := st.OperatorByUsername(ctx, o.username)
	if err == nil && existing.ID != 0 {
		return nil // keep whatever the user changed
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	pw, pin, err := auth.HashCredentials(Password, PIN)
	if err != nil {
		return err
	}
	op := &store.Operator{Username: o.username, FiscalCode: fc, FirstName: o.first, LastName: o.last,
		Email: o.username + "@asl.example.com", PasswordHash: pw, PINHash: pin, Active: true, Demo: true}
	var profiles []store.OperatorProfile
	for i, p := range o.profiles {
		pr := store.OperatorProfile{Role: string(p.role), Location: p.location, Position: i}
		if p.asl != "" {
			asl := p.asl
			pr.ASLCode = &asl
		}
		profiles = append(profiles, pr)
	}
	return st.CreateOperator(ctx, op, profiles)
}

// registryExemptions loads exemptions that came from the regional registry
// (no practice, no issuing user): valid ones with their lifecycle workflow,
// and expired ones.
func registryExemptions(ctx context.Context, a *app.App, ppl []Person, links []store.DiagnosisLink) (int, error) {
	r := rand.New(rand.NewPCG(99, 1))
	today := exemption.DateOf(time.Now())
	n := 0
	for i, p := range ppl {
		if i%4 != 1 {
			continue
		}
		l := links[r.IntN(len(links))]
		issued := today.AddDate(0, -r.IntN(30)-1, -r.IntN(28))
		var end *exemption.Date
		state := exemption.Valida
		switch i % 3 {
		case 0: // expired
			e := today.AddDate(0, 0, -1-r.IntN(300))
			if e.Before(issued) {
				issued = e.AddDate(-1, 0, 0)
			}
			end, state = &e, exemption.Scaduta
		case 1: // valid, some expiring soon ("in scadenza")
			e := today.AddDate(0, 0, 5+r.IntN(400))
			end = &e
		}
		ex := store.Exemption{
			BeneficiaryFC: p.FiscalCode, BeneficiaryFirstName: p.FirstName, BeneficiaryLastName: p.LastName,
			ASLCode: p.ASL, ExemptionCode: l.ExemptionCode, DiagnosisCode: l.DiagnosisCode,
			IssuedOn: issued, EndDate: end, State: string(state), Source: store.SourceRegistry,
			Version: 1, LastSeq: 1, PublicationState: store.PublicationDone, PublishedVersion: 1,
		}
		registryID := fmt.Sprintf("AURA-%07d", 1000+i)
		ex.RegistryID = &registryID
		id, created, err := a.Store.ImportRegistryExemption(ctx, &ex)
		if err != nil {
			if errors.Is(err, store.ErrDuplicateExemption) {
				continue // the person already holds a valid one with that code
			}
			return n, fmt.Errorf("demo: registry exemption: %w", err)
		}
		n++
		if !created || state != exemption.Valida {
			continue
		}
		asl, err := a.Store.ASLByCode(ctx, p.ASL)
		if err != nil {
			return n, err
		}
		in := workflows.ExemptionState{
			ID: id, ASL: p.ASL, ASLShort: asl.ShortName, BeneficiaryFC: p.FiscalCode,
			ExemptionCode: l.ExemptionCode, DiagnosisCode: l.DiagnosisCode, IssuedOn: issued, EndDate: end,
			State: exemption.Valida, Version: 1, Seq: 1, PublishedVersion: 1, ReminderOffsets: a.Config.ReminderOffsets,
		}
		_, err = a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: exemption.WorkflowID(id), TaskQueue: a.Config.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			StaticSummary:            fmt.Sprintf("Esenzione %d · %s · dal registro regionale", id, l.ExemptionCode),
			TypedSearchAttributes: temporal.NewSearchAttributes(
				searchattr.RecordKind.ValueSet(searchattr.KindExemption),
				searchattr.ExemptionState.ValueSet(string(exemption.Valida)),
				searchattr.AslCode.ValueSet(asl.ShortName),
				searchattr.ExemptionCode.ValueSet(l.ExemptionCode),
			),
		}, workflows.ExemptionWorkflowName, in)
		if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return n, fmt.Errorf("demo: start exemption workflow: %w", err)
		}
	}
	return n, nil
}

// demoPractices submits practices and moves them to a spread of states,
// through the same services the web UI and the API use.
func demoPractices(ctx context.Context, a *app.App, svc *practices.Service, ppl []Person, links []store.DiagnosisLink) (int, error) {
	r := rand.New(rand.NewPCG(5, 5))
	ops := map[string]access.Actor{}
	for _, o := range operators {
		if len(o.profiles) == 1 && o.profiles[0].role == access.OperatoreASL {
			op, err := a.Store.OperatorByUsername(ctx, o.username)
			if err != nil {
				return 0, err
			}
			ops[o.profiles[0].asl] = access.Actor{FiscalCode: op.FiscalCode, Role: access.OperatoreASL, ASL: o.profiles[0].asl}
		}
	}
	doctorFC := DoctorFiscalCode()
	n := 0
	now := time.Now()
	for i, p := range ppl {
		actor, ok := ops[p.ASL]
		if !ok || i%2 == 1 {
			continue // practices only where a demo operator works
		}
		// Submitted over the last three months, during office hours.
		submitted := time.Date(now.Year(), now.Month(), now.Day(), 8+r.IntN(10), r.IntN(60), r.IntN(60), 0, exemption.Rome).
			AddDate(0, 0, -r.IntN(90))
		if submitted.After(now) {
			submitted = now
		}
		l := links[r.IntN(len(links))]
		kind := []practice.SubmitterKind{practice.SubmitterDoctor, practice.SubmitterDoctor, practice.SubmitterCitizen, practice.SubmitterDelegate}[r.IntN(4)]
		submitterFC := doctorFC
		if kind != practice.SubmitterDoctor {
			submitterFC = p.FiscalCode
			if kind == practice.SubmitterDelegate {
				submitterFC = ppl[(i+1)%len(ppl)].FiscalCode
			}
		}
		key := fmt.Sprintf("demo-%03d", i)
		res, err := svc.Submit(ctx, practices.Submission{
			Source: "demo", Key: key, SubmitterKind: kind, SubmitterFC: submitterFC,
			SubmitterRole: map[practice.SubmitterKind]access.Role{
				practice.SubmitterDoctor: access.MedicoSpecialista, practice.SubmitterCitizen: access.Cittadino,
				practice.SubmitterDelegate: access.Delegato,
			}[kind],
			Beneficiary:   practices.BeneficiaryData{FiscalCode: p.FiscalCode},
			ExemptionCode: l.ExemptionCode, DiagnosisCode: l.DiagnosisCode,
			SubmittedAt: submitted,
		})
		if err != nil {
			var verr *practices.ValidationError
			if errors.As(err, &verr) {
				continue
			}
			return n, fmt.Errorf("demo: submit: %w", err)
		}
		n++
		// A spread of states: a third stay INVIATA, then taken, validated,
		// validated in one step, rejected, cancelled.
		var steps []workflows.PracticeCommand
		cmd := func(a practice.Action, note string) workflows.PracticeCommand {
			return workflows.PracticeCommand{Command: practice.Command{Action: a, Actor: actor,
				RequestID: key + "-" + strings.ToLower(string(a)), InternalNote: note}}
		}
		switch (i / 2) % 10 {
		case 3, 4:
			steps = append(steps, cmd(practice.Take, "Documentazione in verifica"))
		case 5:
			steps = append(steps, cmd(practice.Take, ""), cmd(practice.Validate, ""))
		case 6:
			steps = append(steps, cmd(practice.Validate, "Validata in un solo passaggio"))
		case 7:
			rej := cmd(practice.Reject, "Certificato non conforme")
			rej.ReasonCode = "REQUISITI_NON_SUFFICIENTI"
			rej.BeneficiaryNote = "Si prega di allegare una certificazione specialistica aggiornata."
			steps = append(steps, rej)
		case 8:
			steps = append(steps, cmd(practice.Cancel, "Annullata su richiesta del medico"))
		}
		if err := demoDocuments(ctx, a, res.Number, kind); err != nil {
			return n, err
		}
		if len(steps) == 0 {
			continue
		}
		if cur, err := a.Store.PracticeByNumber(ctx, res.Number); err == nil && practice.State(cur.State).IsClosed() {
			continue // loaded by an earlier run
		}
		if err := waitProjected(ctx, a.Store, res.Number); err != nil {
			return n, err
		}
		for _, c := range steps {
			if _, err := svc.Act(ctx, res.Number, c); err != nil {
				var refusal *refusal.Refusal
				if errors.As(err, &refusal) {
					break // already done by an earlier run, or a duplicate exemption
				}
				return n, fmt.Errorf("demo: %s on %s: %w", c.Action, res.Number, err)
			}
		}
	}
	return n, nil
}

// demoDocuments attaches a signed certificate (CAdES, from the doctor) and,
// for citizens, a signed attachment (PAdES) to a demo practice, when the
// trust store is the demo one (`esenzioni dev`) and the practice has none.
func demoDocuments(ctx context.Context, a *app.App, number string, kind practice.SubmitterKind) error {
	dir := a.Config.TrustStoreDir
	if dir == "" || a.Attachments == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, caFile)); err != nil {
		return nil // not the demo trust store: demo documents would not verify
	}
	docs, err := a.Store.PracticeAttachments(ctx, number)
	if err != nil || len(docs) > 0 {
		return err
	}
	_, signer, err := LoadOrCreateCA(dir)
	if err != nil {
		return err
	}
	key := "demo:" + number
	cert, err := testpki.SignCAdES(signature.MinimalPDF("Certificato di patologia - pratica "+number+" (documento dimostrativo)"), signer)
	if err != nil {
		return err
	}
	up, err := a.Attachments.Put(ctx, bytes.NewReader(cert), attachments.Upload{
		FileName: "certificato-" + number + ".pdf.p7m", Role: store.RoleCertificate, StagingKey: key, UploadedBy: "DEMO"})
	if err != nil {
		return fmt.Errorf("demo certificate: %w", err)
	}
	if _, err := a.Store.LinkToPractice(ctx, key, []string{up.ID}, number, store.RoleCertificate); err != nil {
		return err
	}
	if kind == practice.SubmitterDoctor {
		return nil
	}
	pdf, err := testsign.SignPAdES(signature.MinimalPDF("Referto specialistico allegato dal cittadino (documento dimostrativo)"), signer)
	if err != nil {
		return err
	}
	up, err = a.Attachments.Put(ctx, bytes.NewReader(pdf), attachments.Upload{
		FileName: "referto-specialistico.pdf", Role: store.RoleCitizen, StagingKey: key, UploadedBy: "DEMO"})
	if err != nil {
		return fmt.Errorf("demo attachment: %w", err)
	}
	_, err = a.Store.LinkToPractice(ctx, key, []string{up.ID}, number, store.RoleCitizen)
	return err
}

// waitProjected waits until the first projection of a new practice is in
// the read model (the workflow writes it on its first task).
func waitProjected(ctx context.Context, st *store.Store, number string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := st.PracticeByNumber(ctx, number)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
			return fmt.Errorf("demo: practice %s not projected: %w", number, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
