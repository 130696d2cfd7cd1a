package catalog

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rows reads the records of one CSV file, checking the header and the
// number of fields, and remembers the line of the current record for
// errors.
type rows struct {
	file   string
	header []string
	r      *csv.Reader
	line   int
	n      int // data rows read
}

func openRows(fsys fs.FS, name string, header []string) (*rows, io.Closer, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: %w", err)
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rr := &rows{file: name, header: header, r: r}
	got, err := r.Read()
	switch {
	case errors.Is(err, io.EOF):
		f.Close()
		return nil, nil, rr.errAt(1, "empty file: want the header %q", strings.Join(header, ","))
	case err != nil:
		f.Close()
		return nil, nil, rr.csvErr(err)
	}
	if len(got) > 0 {
		got[0] = strings.TrimPrefix(got[0], "\ufeff")
	}
	for i := range got {
		got[i] = strings.TrimSpace(got[i])
	}
	if strings.Join(got, ",") != strings.Join(header, ",") {
		f.Close()
		return nil, nil, rr.errAt(1, "header is %q, want %q", strings.Join(got, ","), strings.Join(header, ","))
	}
	return rr, f, nil
}

// next returns the fields of the next record, trimmed, or io.EOF.
func (rr *rows) next() ([]string, error) {
	rec, err := rr.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, rr.csvErr(err)
	}
	rr.line, _ = rr.r.FieldPos(0)
	rr.n++
	if len(rec) != len(rr.header) {
		return nil, rr.errf("%d fields, want %d (%s)", len(rec), len(rr.header), strings.Join(rr.header, ","))
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}

func (rr *rows) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{File: rr.file, Line: pe.StartLine, Reason: pe.Err.Error()}
	}
	return fmt.Errorf("catalog: %s: %w", rr.file, err)
}

func (rr *rows) errAt(line int, format string, args ...any) *RowError {
	return &RowError{File: rr.file, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// errf is an error on the current record.
func (rr *rows) errf(format string, args ...any) *RowError {
	return rr.errAt(rr.line, format, args...)
}

func (rr *rows) src() src { return src{file: rr.file, line: rr.line} }

// Field checks. Each takes the column name for the message.

func (rr *rows) required(col, v string) error {
	if v == "" {
		return rr.errf("%s is empty", col)
	}
	return nil
}

func (rr *rows) boolean(col, v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, rr.errf("%s %q is not true or false", col, v)
}

func (rr *rows) position(col, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || strings.HasPrefix(v, "+") {
		return 0, rr.errf("%s %q is not a whole number >= 0", col, v)
	}
	return n, nil
}

// date parses an optional YYYY-MM-DD date; "" gives "".
func (rr *rows) date(col, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", rr.errf("%s %q is not a date (YYYY-MM-DD)", col, v)
	}
	return v, nil
}

func (rr *rows) match(col, v string, re *regexp.Regexp, want string) error {
	if !re.MatchString(v) {
		return rr.errf("%s %q is not %s", col, v, want)
	}
	return nil
}

var (
	reASLCode      = regexp.MustCompile(`^[0-9]{6}$`)
	reRegion       = regexp.MustCompile(`^[0-9]{3}$`)
	reIstatComune  = regexp.MustCompile(`^[0-9]{6}$`)
	reKey          = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	reRegionalCode = regexp.MustCompile(`^[A-Z0-9]{2,8}$`)
	reDistrictCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,19}$`)
	reServiceCode  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9.-]{0,29}$`)
	rePhone        = regexp.MustCompile(`^\+?[0-9 ]{6,20}$`)
	rePEC          = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	reTaxCode      = regexp.MustCompile(`^[0-9]{11}$`)
)
