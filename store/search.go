package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// PracticeFilter is the search of the "Pratiche da fare" and "Pratiche
// chiuse" tabs. Empty fields do not filter.
type PracticeFilter struct {
	States        []string // the tab's states, or the one chosen
	ASL           string   // scope: "" for regional operators
	ExemptionCode string
	CreatedFrom   time.Time // inclusive
	CreatedTo     time.Time // exclusive
	LastName      string    // prefix, upper case
	FirstName     string    // prefix, upper case
	FiscalCode    string    // exact, upper case
	// StateBefore keeps the practices in their state since before this
	// instant (the SLA notice's "in ritardo"); zero: any.
	StateBefore time.Time
}

// Cursor is a keyset position: the last row of the previous page. The
// names matter when the search lists by name (a surname was given).
type Cursor struct {
	CreatedAt           time.Time
	Number              string
	LastName, FirstName string
	// Offset skips rows instead (numbered pages; the count is capped, so
	// an offset stays below the cap). Not part of String.
	Offset int
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	if c.Number == "" {
		return ""
	}
	s := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "-" + c.Number
	if c.LastName != "" || c.FirstName != "" {
		s += "-" + base64.RawURLEncoding.EncodeToString([]byte(c.LastName+"\n"+c.FirstName))
	}
	return s
}

// ParseCursor decodes Cursor.String.
func ParseCursor(s string) (Cursor, bool) {
	parts := strings.SplitN(s, "-", 3)
	if len(parts) < 2 || len(parts[1]) != 18 {
		return Cursor{}, false
	}
	us, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return Cursor{}, false
	}
	c := Cursor{CreatedAt: time.UnixMicro(us), Number: parts[1]}
	if !cursorTime(c.CreatedAt) || strings.Trim(c.Number, "0123456789") != "" {
		return Cursor{}, false
	}
	if len(parts) == 3 {
		raw, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return Cursor{}, false
		}
		var ok bool
		if c.LastName, c.FirstName, ok = strings.Cut(string(raw), "\n"); !ok || !cursorText(c.LastName) || !cursorText(c.FirstName) {
			return Cursor{}, false
		}
	}
	return c, true
}

// A cursor comes back from the client: what it carries must be something
// this application could have written (dates of years 1900-9999, names as
// text without control characters), or queries would fail on it
// (PostgreSQL refuses NUL bytes, invalid UTF-8 and year 0).
func cursorTime(t time.Time) bool { return t.Year() >= 1900 && t.Year() <= 9999 }

func cursorText(s string) bool {
	if len(s) > 400 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// PracticeRow is a line of the results table.
type PracticeRow struct {
	Number               string    `bun:"number"`
	ASLCode              string    `bun:"asl_code"`
	ASLName              string    `bun:"asl_name"`
	DistrictName         string    `bun:"district_name"`
	BeneficiaryFC        string    `bun:"beneficiary_fc"`
	BeneficiaryFirstName string    `bun:"beneficiary_first_name"`
	BeneficiaryLastName  string    `bun:"beneficiary_last_name"`
	SubmitterKind        string    `bun:"submitter_kind"`
	SubmitterFC          string    `bun:"submitter_fc"`
	ExemptionCode        string    `bun:"exemption_code"`
	State                string    `bun:"state"`
	CreatedAt            time.Time `bun:"created_at"`
	StateSince           time.Time `bun:"state_since"`
}

func (f PracticeFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	q = listFilter{Table: "p", States: f.States, ExemptionCode: f.ExemptionCode,
		DateColumn: "created_at", From: f.CreatedFrom, To: f.CreatedTo,
		LastName: f.LastName, FirstName: f.FirstName, FiscalCode: f.FiscalCode}.apply(q)
	if f.ASL != "" {
		q = q.Where("p.asl_code = ?", f.ASL)
	}
	if !f.StateBefore.IsZero() {
		q = q.Where("p.state_since < ?", f.StateBefore)
	}
	return q
}

// likePrefix escapes LIKE wildcards in a user's prefix.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// SearchPractices returns a page of practices, newest first, after the
// cursor, and the total count of matches (countLimit caps the count so a
// very broad search stays cheap; the count is then a lower bound).
func (s *Store) SearchPractices(ctx context.Context, f PracticeFilter, after Cursor, limit, countLimit int) (rows []PracticeRow, total int, capped bool, err error) {
	q, cq := s.PracticeSearchQueries(f, after, limit, countLimit)
	total, capped, err = pageAndCount(ctx, q, cq, &rows, countLimit)
	if err != nil {
		return nil, 0, false, fmt.Errorf("search practices: %w", err)
	}
	return rows, total, capped, nil
}

// pageAndCount runs a search's page and count queries side by side (two
// connections): the operator waits for the slower, not for both. A count
// over countLimit is countLimit, capped.
func pageAndCount(ctx context.Context, page, count *bun.SelectQuery, rows any, countLimit int) (total int, capped bool, err error) {
	var n int64
	var countErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, countErr = count.Count(ctx)
	}()
	scanErr := page.Scan(ctx, rows)
	<-done
	err = errors.Join(scanErr, countErr)
	if int(n) > countLimit {
		return countLimit, true, err
	}
	return int(n), false, err
}

// listFilter is what the practice and exemption searches filter alike, on
// the rows of Table (an alias of practice or exemption).
type listFilter struct {
	Table         string
	States        []string
	ExemptionCode string
	// DateColumn from From (inclusive) to To (inclusive for a date column,
	// exclusive for a timestamp: the start of the next day); zero: open.
	DateColumn  string
	From, To    time.Time
	ToInclusive bool
	// The beneficiary: prefixes of the names, upper case, compared in byte
	// order as the name indexes; the exact fiscal code.
	LastName, FirstName, FiscalCode string
}

func (l listFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	t := bun.Ident(l.Table)
	if len(l.States) == 1 {
		q = q.Where("?.state = ?", t, l.States[0])
	} else if len(l.States) > 1 {
		q = q.Where("?.state IN (?)", t, bun.In(l.States))
	}
	if l.ExemptionCode != "" {
		q = q.Where("?.exemption_code = ?", t, l.ExemptionCode)
	}
	if !l.From.IsZero() {
		q = q.Where("?.? >= ?", t, bun.Ident(l.DateColumn), l.From)
	}
	if !l.To.IsZero() && l.ToInclusive {
		q = q.Where("?.? <= ?", t, bun.Ident(l.DateColumn), l.To)
	} else if !l.To.IsZero() {
		q = q.Where("?.? < ?", t, bun.Ident(l.DateColumn), l.To)
	}
	if l.LastName != "" {
		q = q.Where(`?.beneficiary_last_name COLLATE "C" LIKE ?`, t, likePrefix(l.LastName))
	}
	if l.FirstName != "" {
		q = q.Where(`?.beneficiary_first_name COLLATE "C" LIKE ?`, t, likePrefix(l.FirstName))
	}
	if l.FiscalCode != "" {
		q = q.Where("?.beneficiary_fc = ?", t, l.FiscalCode)
	}
	return q
}

// ByName reports whether results list by name (a surname was given), then
// newest first; otherwise newest first.
func (f PracticeFilter) ByName() bool { return f.LastName != "" }

const (
	practiceOrderDate = "p.created_at DESC, p.number DESC"
	practiceOrderName = `p.beneficiary_last_name COLLATE "C", p.beneficiary_first_name COLLATE "C", p.created_at DESC, p.number DESC`
)

// PracticeSearchQueries builds the two queries of a search: the page of
// rows and the capped count (the benchmark runs their SQL directly). The
// page is found first among index entries only (number, filters and order
// are in the tab's indexes), then its rows are read: a search reads twenty
// rows of the table, not every match.
func (s *Store) PracticeSearchQueries(f PracticeFilter, after Cursor, limit, countLimit int) (rows, count *bun.SelectQuery) {
	top := f.apply(s.DB.NewSelect().TableExpr("practice AS p").Column("p.number"))
	order := practiceOrderDate
	switch {
	case f.ByName():
		order = practiceOrderName
		if after.Number != "" {
			// The first condition only lets the index start at the cursor.
			top = top.Where(`p.beneficiary_last_name COLLATE "C" >= ?`, after.LastName).
				WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
					return q.Where(`p.beneficiary_last_name COLLATE "C" > ?`, after.LastName).
						WhereOr(`p.beneficiary_last_name = ? AND p.beneficiary_first_name COLLATE "C" > ?`, after.LastName, after.FirstName).
						WhereOr(`p.beneficiary_last_name = ? AND p.beneficiary_first_name = ? AND (p.created_at, p.number) < (?, ?)`,
							after.LastName, after.FirstName, after.CreatedAt, after.Number)
				})
		}
	case after.Number != "":
		top = top.Where("(p.created_at, p.number) < (?, ?)", after.CreatedAt, after.Number)
	}
	top = top.OrderExpr(order).Limit(int64(limit))
	if after.Offset > 0 && after.Number == "" {
		top = top.Offset(int64(after.Offset))
	}
	q := s.DB.NewSelect().TableExpr("(?) AS top", top).
		ColumnExpr("p.number, p.asl_code, a.name AS asl_name, COALESCE(d.name, '') AS district_name").
		ColumnExpr("p.beneficiary_fc, p.beneficiary_first_name, p.beneficiary_last_name").
		ColumnExpr("p.submitter_kind, p.submitter_fc, p.exemption_code, p.state, p.created_at, p.state_since").
		Join("JOIN practice AS p ON p.number = top.number").
		Join("JOIN asl AS a ON a.code = p.asl_code").
		Join("LEFT JOIN district AS d ON d.id = p.district_id").
		OrderExpr(order)
	cq := f.apply(s.DB.NewSelect().TableExpr("practice AS p").Column("p.number")).Limit(int64(countLimit) + 1)
	return q, s.DB.NewSelect().TableExpr("(?) AS m", cq)
}

// CodeOption is an exemption code for a select list.
type CodeOption struct {
	Code        string `bun:"code"`
	Description string `bun:"description"`
	Category    string `bun:"category"`
	Level       string `bun:"level"`
}

// ExemptionCodes lists the active codes of the catalogue in code order.
// The slice is shared (cached): callers must not modify it.
func (s *Store) ExemptionCodes(ctx context.Context) ([]CodeOption, error) {
	v, err := s.catalog.get("codes", func() (any, error) {
		var out []CodeOption
		err := s.DB.NewSelect().Table("exemption_code").Column("code", "description", "category", "level").
			Where("active").OrderExpr("code").Scan(ctx, &out)
		return out, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]CodeOption), nil
}
