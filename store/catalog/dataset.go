package catalog

import (
	"fmt"
	"slices"

	"esenzioni/domain/exemptioncode"
)

// src is where a row comes from, for errors found after reading it.
type src struct {
	file string
	line int
}

// Priorities of the sources of a table: a canonical file overrides the
// public sources, the active block of the HL7 list overrides the draft.
const (
	prioPublic = iota + 1
	prioActive
	prioCanonical
)

// ordered is a map that remembers the order of insertion.
type ordered[V any] struct {
	keys []string
	m    map[string]*V
}

func newOrdered[V any]() *ordered[V] { return &ordered[V]{m: map[string]*V{}} }

func (o *ordered[V]) get(k string) (*V, bool) { v, ok := o.m[k]; return v, ok }

func (o *ordered[V]) put(k string, v *V) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *ordered[V]) len() int { return len(o.keys) }

func (o *ordered[V]) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	o.keys = slices.DeleteFunc(o.keys, func(x string) bool { return x == k })
}

func (o *ordered[V]) values() []*V {
	out := make([]*V, len(o.keys))
	for i, k := range o.keys {
		out[i] = o.m[k]
	}
	return out
}

type aslRec struct {
	src
	code, shortName, name, region, seat string
	hasBase                             bool // from asl_piemonte.csv
	details                             *aslDetails
}

type aslDetails struct {
	src
	address, phone, pec, taxCode string
	demo                         bool
}

type districtRec struct {
	src
	asl, code, name string
	demo            bool
}

// textRec is a code and its description: a diagnosis or a service.
type textRec struct {
	src
	code, desc string
	prio       int
}

type codeRec struct {
	src
	code, desc, category, family, level string
	demo                                bool
	prio                                int
}

type linkRec struct {
	src
	exemption, diagnosis string
	durValue             *int
	durUnit              *string
	demo                 bool
	prio                 int
}

type xsRec struct {
	src
	exemption, diagnosis, service string
	position                      int
	from                          string
	to                            *string
	demo                          bool
}

type reasonRec struct {
	src
	code, desc string
	position   int
}

type docTypeRec struct {
	src
	code, label, desc string
	position          int
}

// dataset is the content of an import, validated and merged, ready to write.
type dataset struct {
	validator *exemptioncode.Validator
	regional  []string // codes passed to the validator

	asl        *ordered[aslRec]
	districts  *ordered[districtRec] // key asl|code
	diagnoses  *ordered[textRec]
	services   *ordered[textRec]
	codes      *ordered[codeRec]
	links      *ordered[linkRec] // key exemption|diagnosis
	xservices  *ordered[xsRec]   // key exemption|diagnosis|service|from
	xsPairs    []string          // exemption|diagnosis pairs whose services the import replaces
	reasons    *ordered[reasonRec]
	docTypes   *ordered[docTypeRec]
	fedTables  map[string]bool // tables some file of the import feeds
	draftLinks []draftLink     // chronic sub-rows of the HL7 draft, resolved after the codes

	report Report
}

// draftLink is a chronic sub-row of the HL7 draft: parent code and ICD-9-CM
// sub-code.
type draftLink struct {
	src
	code, parent, diagnosis string
}

func newDataset(optRegional, dbRegional []string) *dataset {
	ds := &dataset{
		asl:       newOrdered[aslRec](),
		districts: newOrdered[districtRec](),
		diagnoses: newOrdered[textRec](),
		services:  newOrdered[textRec](),
		codes:     newOrdered[codeRec](),
		links:     newOrdered[linkRec](),
		xservices: newOrdered[xsRec](),
		reasons:   newOrdered[reasonRec](),
		docTypes:  newOrdered[docTypeRec](),
		fedTables: map[string]bool{},
	}
	ds.regional = append(slices.Clone(optRegional), dbRegional...)
	ds.validator = exemptioncode.New(ds.regional...)
	return ds
}

// addRegional makes codes regional for the rest of the import.
func (ds *dataset) addRegional(codes ...string) {
	ds.regional = append(ds.regional, codes...)
	ds.validator = exemptioncode.New(ds.regional...)
}

func (ds *dataset) warnf(format string, args ...any) {
	ds.report.Warnings = append(ds.report.Warnings, fmt.Sprintf(format, args...))
}
