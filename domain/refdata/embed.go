// Package data ships the public reference data (catalogue and geography) inside
// the binary, so the application never reads files outside its own repository at
// run time. Provenance and licences are in PROVENANCE.md.
package refdata

import (
	"embed"
	"io/fs"
)

//go:embed catalog/*.csv geo/*.csv
var files embed.FS

// Catalog holds the catalogue CSV files (exemption codes, diagnoses, services, ...).
func Catalog() fs.FS { return mustSub("catalog") }

// Geo holds the ANPR comuni and foreign states, and the Piemonte ASL list.
func Geo() fs.FS { return mustSub("geo") }

func mustSub(dir string) fs.FS {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
