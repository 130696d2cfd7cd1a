package store_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/testenv"
	"esenzioni/store"
)

// Paging through a search with the keyset cursor returns every match once,
// in the order of the first page: by date, or by name when a surname is
// given (ties on names and dates included).
func TestSearchPagesInOrder(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	surnames := []string{"ROSSI", "ROSSINI", "ROSSO", "RUSSO", "ROSS"}
	names := []string{"ANNA", "LUCA", "ANNA MARIA"}
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	type practiceKey struct {
		ln, fn, number string
		at             time.Time
	}
	var practices []practiceKey
	for i := 0; i < 37; i++ {
		number := fmt.Sprintf("2026010203%08d", i+1)
		ln, fn := surnames[i%len(surnames)], names[i%len(names)]
		at := base.Add(time.Duration(i/3) * time.Hour) // three practices per instant
		state := []string{"INVIATA", "IN_LAVORAZIONE", "VALIDATA"}[i%3]
		require.NoError(t, st.ApplyPractice(ctx, practice.Record{Number: number, ASL: "010203",
			BeneficiaryFC: fmt.Sprintf("RSSNNA80A41H501%c", 'A'+i%26), BeneficiaryFirstName: fn, BeneficiaryLastName: ln,
			SubmitterKind: practice.SubmitterDoctor, SubmitterFC: "LBRCRD53H10D205E", ExemptionCode: "044", DiagnosisCode: "2960",
			State: practice.State(state), Version: 1, CreatedAt: at,
			Events: []practice.Event{{Seq: 1, At: at, Action: practice.Submit, Actor: access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.MedicoSpecialista}, State: practice.State(state)}},
		}))
		if state != "VALIDATA" {
			practices = append(practices, practiceKey{ln, fn, number, at})
		}
	}
	todo := store.PracticeFilter{States: []string{"INVIATA", "IN_LAVORAZIONE"}, ASL: "010203"}
	page := func(f store.PracticeFilter) []string {
		var out []string
		var after store.Cursor
		for pages := 0; pages < 50; pages++ {
			rows, total, _, err := st.SearchPractices(ctx, f, after, 4, 1000)
			require.NoError(t, err)
			require.Positive(t, total)
			for _, r := range rows {
				out = append(out, r.Number)
			}
			if len(rows) < 4 {
				return out
			}
			last := rows[len(rows)-1]
			after = store.Cursor{CreatedAt: last.CreatedAt, Number: last.Number}
			if f.ByName() {
				after.LastName, after.FirstName = last.BeneficiaryLastName, last.BeneficiaryFirstName
			}
			// The cursor goes through the URL.
			var ok bool
			after, ok = store.ParseCursor(after.String())
			require.True(t, ok)
		}
		t.Fatal("too many pages")
		return nil
	}

	byDate := append([]practiceKey(nil), practices...)
	sort.Slice(byDate, func(i, j int) bool {
		if !byDate[i].at.Equal(byDate[j].at) {
			return byDate[i].at.After(byDate[j].at)
		}
		return byDate[i].number > byDate[j].number
	})
	var want []string
	for _, p := range byDate {
		want = append(want, p.number)
	}
	require.Equal(t, want, page(todo), "newest first")

	var byName []practiceKey
	for _, p := range practices {
		if strings.HasPrefix(p.ln, "ROSS") {
			byName = append(byName, p)
		}
	}
	sort.Slice(byName, func(i, j int) bool {
		a, b := byName[i], byName[j]
		if a.ln != b.ln {
			return a.ln < b.ln
		}
		if a.fn != b.fn {
			return a.fn < b.fn
		}
		if !a.at.Equal(b.at) {
			return a.at.After(b.at)
		}
		return a.number > b.number
	})
	want = nil
	for _, p := range byName {
		want = append(want, p.number)
	}
	named := todo
	named.LastName = "ROSS"
	require.Equal(t, want, page(named), "by name, then newest first")
}

func TestExemptionSearchPagesInOrder(t *testing.T) {
	db := testenv.Database(t)
	st := store.New(db.DB)
	ctx := context.Background()
	type key struct {
		ln, fn string
		on     time.Time
		id     int64
	}
	var all []key
	for i := 0; i < 29; i++ {
		ln := []string{"BIANCHI", "BIANCO", "BIANCHINI", "BIANCHI"}[i%4]
		fn := []string{"GIULIA", "MARCO", "GIULIA ANNA"}[i%3]
		on := time.Date(2025, time.Month(1+i%4), 1, 0, 0, 0, 0, time.UTC) // ties on the date
		e := store.Exemption{BeneficiaryFC: fmt.Sprintf("BNCGLI80A41H501%c", 'A'+i), BeneficiaryLastName: ln, BeneficiaryFirstName: fn,
			ASLCode: "010203", ExemptionCode: fmt.Sprintf("0%02d", i), DiagnosisCode: "2960", IssuedOn: on, State: "VALIDA",
			Source: store.SourceRegistry, Version: 1, LastSeq: 1, PublicationState: store.PublicationDone, CreatedAt: on, UpdatedAt: on}
		_, err := db.NewInsert().Model(&e).Returning("id").Exec(ctx, &e.ID)
		require.NoError(t, err)
		all = append(all, key{ln, fn, on, e.ID})
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.ln != b.ln {
			return a.ln < b.ln
		}
		if a.fn != b.fn {
			return a.fn < b.fn
		}
		if !a.on.Equal(b.on) {
			return a.on.After(b.on)
		}
		return a.id > b.id
	})
	var want, got []int64
	for _, k := range all {
		want = append(want, k.id)
	}
	var after store.ExemptionCursor
	for pages := 0; pages < 50; pages++ {
		rows, total, _, err := st.SearchExemptions(ctx, store.ExemptionFilter{LastName: "BIANC"}, after, 5, 1000)
		require.NoError(t, err)
		require.Positive(t, total)
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if len(rows) < 5 {
			break
		}
		last := rows[len(rows)-1]
		var ok bool
		after, ok = store.ParseExemptionCursor(store.ExemptionCursor{LastName: last.BeneficiaryLastName,
			FirstName: last.BeneficiaryFirstName, IssuedOn: last.IssuedOn, ID: last.ID}.String())
		require.True(t, ok)
	}
	require.Equal(t, want, got)
}
