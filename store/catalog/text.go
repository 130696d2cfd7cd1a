package catalog

import (
	"regexp"
	"strings"
)

// The ICD-9-CM file as published lost its non-ASCII characters: each UTF-8
// byte became "?". A typographic apostrophe (3 bytes) reads "???", a pair of
// typographic quotes "??????", an accented letter or a degree sign (2 bytes)
// "??". repairICD9 restores what can be told from the context; the rest is
// left as it is.
var (
	icdQuotes     = strings.NewReplacer("??????", `"`, "???", "'")
	icdDegree     = regexp.MustCompile(`([0-9])\?\?`)
	icdAccentWord = strings.NewReplacer(
		"it??", "ità", // capacità, cavità, estremità, sensibilità, unità, ...
		"Se??zary", "Sézary",
	)
	icdAccentShort = regexp.MustCompile(`\b(pi|gi|ne)\?\?`)
	icdShortFix    = map[string]string{"pi": "più", "gi": "già", "ne": "né"}
)

func repairICD9(s string) string {
	if !strings.Contains(s, "??") {
		return s
	}
	s = icdQuotes.Replace(s)
	s = icdDegree.ReplaceAllString(s, "$1°")
	s = icdAccentWord.Replace(s)
	s = icdAccentShort.ReplaceAllStringFunc(s, func(m string) string {
		return icdShortFix[strings.TrimSuffix(m, "??")]
	})
	return s
}
