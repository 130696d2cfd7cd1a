package practice

import (
	"fmt"
	"strconv"
)

// A practice number is year (4) + Ministry ASL code (6) + a counter per ASL
// and year (8): 2024 010211 00000023 is the 23rd practice of ASL CN2 in 2024.
const NumberLength = 18

// MaxCounter is the largest counter an ASL can reach in a year.
const MaxCounter = 99_999_999

// FormatNumber builds a practice number.
func FormatNumber(year int, aslCode string, counter int64) (string, error) {
	if year < 2000 || year > 9999 {
		return "", fmt.Errorf("practice number: year %d out of range", year)
	}
	if len(aslCode) != 6 || !digits(aslCode) {
		return "", fmt.Errorf("practice number: ASL code %q is not 6 digits", aslCode)
	}
	if counter < 1 || counter > MaxCounter {
		return "", fmt.Errorf("practice number: counter %d out of range", counter)
	}
	return fmt.Sprintf("%04d%s%08d", year, aslCode, counter), nil
}

// Number is a parsed practice number.
type Number struct {
	Year    int
	ASLCode string
	Counter int64
}

// ParseNumber checks and splits a practice number.
func ParseNumber(s string) (Number, error) {
	if len(s) != NumberLength || !digits(s) {
		return Number{}, fmt.Errorf("practice number %q: want %d digits", s, NumberLength)
	}
	year, _ := strconv.Atoi(s[:4])
	counter, _ := strconv.ParseInt(s[10:], 10, 64)
	if year < 2000 || counter == 0 {
		return Number{}, fmt.Errorf("practice number %q: bad year or counter", s)
	}
	return Number{Year: year, ASLCode: s[4:10], Counter: counter}, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// WorkflowID is the practice workflow's ID: the number only, no personal data.
func WorkflowID(number string) string { return "pratica-" + number }
