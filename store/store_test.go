package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/practice"
	"esenzioni/internal/testenv"
	"esenzioni/store"
)

func TestPracticeNumbersAreUniqueUnderConcurrency(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	const n = 200
	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Two ASL interleaved; every fourth request repeats a key.
			asl := []string{"010203", "010211"}[i%2]
			key := fmt.Sprintf("k%d", i)
			if i%4 == 3 {
				key = fmt.Sprintf("k%d", i-2) // same ASL as i-2
			}
			numbers[i], _, errs[i] = st.AllocatePracticeNumber(ctx, asl, 2026, "test", key, nil)
		}()
	}
	wg.Wait()
	perASL := map[string][]int64{}
	byKey := map[string]string{}
	for i, num := range numbers {
		require.NoError(t, errs[i])
		p, err := practice.ParseNumber(num)
		require.NoError(t, err)
		require.Equal(t, 2026, p.Year)
		key := fmt.Sprintf("k%d", i)
		if i%4 == 3 {
			key = fmt.Sprintf("k%d", i-2)
		}
		if prev, ok := byKey[key]; ok {
			require.Equal(t, prev, num, "the same key gets the same number")
			continue
		}
		byKey[key] = num
		perASL[p.ASLCode] = append(perASL[p.ASLCode], p.Counter)
	}
	for asl, counters := range perASL {
		sort.Slice(counters, func(i, j int) bool { return counters[i] < counters[j] })
		for i, c := range counters {
			require.Equal(t, int64(i+1), c, "ASL %s: counters are 1..n without gaps or repeats", asl)
		}
	}
	require.Len(t, byKey, n-n/4)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	require.NoError(t, st.Audit(ctx, audit.Record{OperatorFC: "LBRCRD53H10D205E", Action: "PROVA", Outcome: "OK", BeneficiaryFC: "RSSMRA80A01H501U"}))

	// The application's role may not change or remove rows.
	_, err := db.ExecContext(ctx, `UPDATE audit_log SET outcome = 'X'`)
	requirePGError(t, err, "42501")
	_, err = db.ExecContext(ctx, `DELETE FROM audit_log`)
	requirePGError(t, err, "42501")
	_, err = db.ExecContext(ctx, `TRUNCATE audit_log`)
	requirePGError(t, err, "42501")

	// Neither may the owner: the trigger refuses it for everyone.
	owner := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(db.URL)))
	defer owner.Close()
	_, err = owner.ExecContext(ctx, `UPDATE audit_log SET outcome = 'X'`)
	requirePGError(t, err, "42501")
	_, err = owner.ExecContext(ctx, `DELETE FROM audit_log`)
	requirePGError(t, err, "42501")

	rows, err := st.AuditForBeneficiary(ctx, "RSSMRA80A01H501U", time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "OK", rows[0].Outcome)
}

func requirePGError(t *testing.T, err error, sqlstate string) {
	t.Helper()
	require.Error(t, err)
	pgErr, ok := err.(pgdriver.Error)
	require.True(t, ok, "%T %v", err, err)
	require.Equal(t, sqlstate, pgErr.Field('C'), err.Error())
}

func TestAppRoleIsInUse(t *testing.T) {
	db := testenv.Database(t)
	var role string
	require.NoError(t, db.NewRaw("SELECT current_user").Scan(context.Background(), &role))
	require.Equal(t, "esenzioni_app", role, "the application runs with the restricted role")
}

// The audit row of an action commits with the action's projection, once even
// when the record is applied again (the caller and the workflow's activity
// both apply it); text that looks like SQL is stored as it is, and a NUL
// byte left by an old history is replaced instead of freezing the
// projection.
func TestApplyPracticeWritesTheAuditOnce(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rec := practice.Record{Number: "202601020300000001", ASL: "010203", BeneficiaryFC: "RSSMRA80A01H501U",
		BeneficiaryFirstName: "MARIO", BeneficiaryLastName: "ROSSI", SubmitterKind: practice.SubmitterDoctor, SubmitterFC: "LBRCRD53H10D205E",
		ExemptionCode: "044", DiagnosisCode: "2960", State: practice.InLavorazione, Version: 2, CreatedAt: at,
		Events: []practice.Event{
			{Seq: 1, At: at, Action: practice.Submit, Actor: access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.MedicoSpecialista}, State: practice.Inviata},
			{Seq: 2, At: at.Add(time.Hour), Action: practice.Take, Actor: access.Actor{FiscalCode: "CRRLBR63H10L219D", Role: access.OperatoreASL, ASL: "010203"},
				State: practice.InLavorazione, InternalNote: "Perché? Manca l'esito ?0 \\? ; DROP TABLE practice; --", BeneficiaryNote: "nota\x00con NUL",
				Audit: &audit.Context{Action: "AZIONE_PRATICA", Address: "10.0.0.7", OperatorASL: "TO3", Channel: audit.ChannelWeb}},
		},
	}
	require.NoError(t, st.ApplyPractice(ctx, rec))
	require.NoError(t, st.ApplyPractice(ctx, rec))

	rows, err := st.AuditForBeneficiary(ctx, "RSSMRA80A01H501U", time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "10.0.0.7", rows[0].Address)
	require.Equal(t, "PRESA_IN_CARICO", rows[0].Detail["azione"])
	require.True(t, rows[0].At.Equal(at.Add(time.Hour)), "the audit row has the action's time")
	p, err := st.PracticeByNumber(ctx, "202601020300000001")
	require.NoError(t, err)
	require.Equal(t, "IN_LAVORAZIONE", p.State)
	require.True(t, p.StateSince.Equal(at.Add(time.Hour)))
	var notes struct {
		Internal    string `bun:"internal_note"`
		Beneficiary string `bun:"beneficiary_note"`
	}
	require.NoError(t, db.NewSelect().Table("practice_event").Column("internal_note", "beneficiary_note").
		Where("practice_number = ? AND seq = 2", "202601020300000001").Scan(ctx, &notes))
	require.Equal(t, "Perché? Manca l'esito ?0 \\? ; DROP TABLE practice; --", notes.Internal)
	require.Equal(t, "nota\uFFFDcon NUL", notes.Beneficiary)

	// An older record never moves the row back.
	old := rec
	old.State, old.Version, old.Events = practice.Inviata, 1, rec.Events[:1]
	require.NoError(t, st.ApplyPractice(ctx, old))
	p, err = st.PracticeByNumber(ctx, "202601020300000001")
	require.NoError(t, err)
	require.Equal(t, "IN_LAVORAZIONE", p.State)
}

// A run started before the Italian codes projects its older events with the
// English ones: they are stored with the current codes, and a note among
// them still does not count as a change of state.
func TestApplyPracticeStoresCurrentActionCodes(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	op := access.Actor{FiscalCode: "CRRLBR63H10L219D", Role: access.OperatoreASL, ASL: "010203"}
	rec := practice.Record{Number: "202601020300000002", ASL: "010203", BeneficiaryFC: "RSSMRA80A01H501U",
		BeneficiaryFirstName: "MARIO", BeneficiaryLastName: "ROSSI", SubmitterKind: practice.SubmitterDoctor, SubmitterFC: "LBRCRD53H10D205E",
		ExemptionCode: "044", DiagnosisCode: "2960", State: practice.InLavorazione, Version: 3, CreatedAt: at,
		Events: []practice.Event{
			{Seq: 1, At: at, Action: "SUBMIT", Actor: access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.MedicoSpecialista}, State: practice.Inviata},
			{Seq: 2, At: at.Add(time.Hour), Action: "TAKE", Actor: op, State: practice.InLavorazione},
			{Seq: 3, At: at.Add(2 * time.Hour), Action: "NOTE", Actor: op, State: practice.InLavorazione, InternalNote: "nota",
				Audit: &audit.Context{Action: audit.PracticeAction, Address: "10.0.0.7", OperatorASL: "TO3", Channel: audit.ChannelWeb}},
		},
	}
	require.NoError(t, st.ApplyPractice(ctx, rec))
	evs, err := st.PracticeEvents(ctx, rec.Number)
	require.NoError(t, err)
	var got []string
	for _, e := range evs {
		got = append(got, e.Action)
	}
	require.Equal(t, []string{"NOTA", "PRESA_IN_CARICO", "INVIO"}, got, "newest first")
	require.True(t, evs[0].IsNote())
	require.False(t, evs[1].IsNote())
	p, err := st.PracticeByNumber(ctx, rec.Number)
	require.NoError(t, err)
	require.True(t, p.StateSince.Equal(at.Add(time.Hour)), "the note is not a change of state: %v", p.StateSince)
	rows, err := st.AuditForBeneficiary(ctx, "RSSMRA80A01H501U", time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "NOTA", rows[0].Detail["azione"])
}

// During a rolling update, replicas of the release before the Italian codes
// still write the English ones: the database stores the new codes.
func TestPreviousReleaseCodesAreStoredInItalian(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rec := practice.Record{Number: "202601020300000003", ASL: "010203", BeneficiaryFC: "RSSMRA80A01H501U",
		BeneficiaryFirstName: "MARIO", BeneficiaryLastName: "ROSSI", SubmitterKind: practice.SubmitterDoctor, SubmitterFC: "LBRCRD53H10D205E",
		ExemptionCode: "044", DiagnosisCode: "2960", State: practice.Inviata, Version: 1, CreatedAt: at,
		Events: []practice.Event{{Seq: 1, At: at, Action: practice.Submit, Actor: access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.MedicoSpecialista}, State: practice.Inviata}},
	}
	require.NoError(t, st.ApplyPractice(ctx, rec))
	_, err := db.NewRaw(`INSERT INTO practice_event (practice_number, seq, at, action, actor_fc, actor_role, state)
		VALUES (?, 2, now(), 'TAKE', 'CRRLBR63H10L219D', 'OPERATORE_ASL', 'IN_LAVORAZIONE')`, rec.Number).Exec(ctx)
	require.NoError(t, err)
	var action string
	require.NoError(t, db.NewRaw(`SELECT action FROM practice_event WHERE practice_number = ? AND seq = 2`, rec.Number).Scan(ctx, &action))
	require.Equal(t, string(practice.Take), action)

	_, err = db.NewRaw(`INSERT INTO email_outbox (dedupe_key, recipient, subject, state) VALUES ('k', 'x@y.it', 's', 'SENDING')`).Exec(ctx)
	require.NoError(t, err)
	sent, err := st.ClaimEmail(ctx, "k", "x@y.it", "s")
	require.NoError(t, err)
	require.False(t, sent)
	_, err = db.NewRaw(`UPDATE email_outbox SET state = 'SENT' WHERE dedupe_key = 'k'`).Exec(ctx)
	require.NoError(t, err)
	sent, err = st.ClaimEmail(ctx, "k", "x@y.it", "s")
	require.NoError(t, err)
	require.True(t, sent, "an email an older worker marked sent is not sent again by a new one")

	var pub string
	require.NoError(t, db.NewRaw(`INSERT INTO exemption (beneficiary_fc, beneficiary_last_name, beneficiary_first_name,
		asl_code, exemption_code, diagnosis_code, issued_on, state, source, publication_state)
		VALUES ('RSSMRA80A01H501U', 'ROSSI', 'MARIO', '010203', '044', '2960', current_date, 'VALIDA', 'REGISTRO', 'PENDING')
		RETURNING publication_state`).Scan(ctx, &pub))
	require.Equal(t, store.PublicationPending, pub)
	require.NoError(t, db.NewRaw(`UPDATE exemption SET publication_state = 'PUBLISHED' RETURNING publication_state`).Scan(ctx, &pub))
	require.Equal(t, store.PublicationDone, pub)
}
