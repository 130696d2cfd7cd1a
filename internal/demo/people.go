// Package demo loads demonstration data: operators of several ASL and roles,
// API clients, a few hundred beneficiaries with valid fiscal codes,
// exemptions that came from the regional registry, and practices in every
// state, created through the same services as real ones. Loading is
// idempotent: a second run finds everything in place and changes nothing.
// Every row it writes is marked demo where the schema allows it.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
)

var maleNames = []string{
	"MARIO", "GIUSEPPE", "GIOVANNI", "ANTONIO", "LUIGI", "FRANCESCO", "PAOLO", "ROBERTO", "STEFANO", "ANDREA",
	"MARCO", "ALESSANDRO", "LUCA", "GIORGIO", "CARLO", "BRUNO", "SERGIO", "FRANCO", "MASSIMO", "PIETRO",
	"MATTEO", "DAVIDE", "SIMONE", "RICCARDO", "FEDERICO", "LORENZO", "EMANUELE", "NICOLA", "VITTORIO", "ENRICO",
}

var femaleNames = []string{
	"MARIA", "ANNA", "GIUSEPPINA", "ROSA", "ANGELA", "GIOVANNA", "TERESA", "LUCIA", "CARMELA", "FRANCESCA",
	"ELENA", "LAURA", "CHIARA", "SARA", "PAOLA", "SILVIA", "FEDERICA", "GIULIA", "MARTA", "VALENTINA",
	"ALESSANDRA", "CRISTINA", "DANIELA", "MARINA", "ELISA", "BARBARA", "MONICA", "SIMONA", "ROBERTA", "PATRIZIA",
}

var surnames = []string{
	"ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI", "MARINO", "GRECO",
	"BRUNO", "GALLO", "CONTI", "DE LUCA", "MANCINI", "COSTA", "GIORDANO", "RIZZO", "LOMBARDI", "MORETTI",
	"BARBERO", "BERTOLA", "CERUTTI", "FERRERO", "GIACHINO", "BOSIO", "MARTINA", "BRUNETTI", "GARINO", "AIMAR",
	"BERTOLOTTI", "CAVALLO", "OLIVERO", "PEIRANO", "RAVERA", "VIETTI", "ARNAUDO", "BARALE", "DALMASSO", "GIRAUDO",
	"MONDINO", "PANERO", "ROSSO", "TESTA", "VALLE", "ZANOTTI", "BONINO", "CARENA", "DEMARIA", "FASSIO",
}

// aslProvince says where the residents of each ASL live (province of the
// comuni drawn for them); Citta' di Torino is the city itself.
var aslProvince = map[string]string{
	"010203": "TO", "010204": "TO", "010205": "TO", "010206": "VC", "010207": "BI", "010208": "NO",
	"010209": "VB", "010210": "CN", "010211": "CN", "010212": "AT", "010213": "AL", "010301": "TO",
}

// aslWeight spreads people over the ASL roughly like the population.
var aslWeight = []struct {
	code   string
	weight int
}{
	{"010301", 20}, {"010203", 18}, {"010204", 12}, {"010205", 8}, {"010210", 9}, {"010211", 5},
	{"010213", 7}, {"010212", 5}, {"010208", 6}, {"010206", 4}, {"010207", 4}, {"010209", 3},
}

var streets = []string{"VIA ROMA", "VIA GARIBALDI", "CORSO FRANCIA", "VIA MAZZINI", "VIA CAVOUR", "PIAZZA CASTELLO",
	"VIA VITTORIO EMANUELE II", "CORSO UNIONE SOVIETICA", "VIA NIZZA", "VIA PO", "VIA CERNAIA", "STRADA DEL DROSSO"}

// Person is a demo beneficiary.
type Person struct {
	FiscalCode       string
	FirstName        string
	LastName         string
	Sex              byte
	BirthDate        time.Time
	BirthPlace       places.Place
	ASL              string
	ResidenceComune  string
	ResidenceAddress string
	CardNumber       string
	Email            string
}

// manualPeople are the people the operator manual shows, so its walkthroughs
// can be followed on the demo. Their fiscal codes are recomputed (some in the
// manual are not valid), keeping names, birth dates and places.
var manualPeople = []struct {
	first, last string
	sex         byte
	birth       time.Time
	place, prov string
	asl         string
}{
	{"MARIO", "ROSSI", 'M', time.Date(1948, 10, 11, 0, 0, 0, 0, time.UTC), "BRA", "CN", "010211"},
	{"NELLO", "TRENTASEI", 'M', time.Date(1953, 6, 10, 0, 0, 0, 0, time.UTC), "TORINO", "TO", "010301"},
	{"AUREL", "VENTIDUE", 'M', time.Date(1992, 2, 26, 0, 0, 0, 0, time.UTC), "COLLEGNO", "TO", "010203"},
	{"BENEDETTO", "TRENTAQUATTRO", 'M', time.Date(1947, 3, 9, 0, 0, 0, 0, time.UTC), "TORINO", "TO", "010301"},
	{"SOGGETTO", "QUARTO", 'M', time.Date(1978, 2, 10, 0, 0, 0, 0, time.UTC), "CUNEO", "CN", "010210"},
}

// people generates n beneficiaries deterministically (the same seed gives
// the same people on every run and every machine).
func people(reg *places.Registry, n int) ([]Person, error) {
	r := rand.New(rand.NewPCG(2026, 11))
	comuni := map[string][]places.Place{}
	for _, prov := range []string{"TO", "CN", "AL", "AT", "BI", "NO", "VB", "VC"} {
		comuni[prov] = reg.Comuni(prov)
		if len(comuni[prov]) == 0 {
			return nil, fmt.Errorf("demo: no comuni for province %s", prov)
		}
	}
	torino, ok := reg.Find("TORINO", "TO")
	if !ok {
		return nil, fmt.Errorf("demo: comune of Torino not found")
	}
	seen := map[string]bool{}
	var out []Person
	add := func(p Person) {
		if seen[p.FiscalCode] {
			return
		}
		seen[p.FiscalCode] = true
		out = append(out, p)
	}
	for _, m := range manualPeople {
		place, ok := reg.Find(m.place, m.prov)
		if !ok {
			return nil, fmt.Errorf("demo: comune %s not found", m.place)
		}
		p := Person{FirstName: m.first, LastName: m.last, Sex: m.sex, BirthDate: m.birth, BirthPlace: place, ASL: m.asl}
		residence(r, &p, comuni, torino)
		p.FiscalCode = fiscalcode.Generate(p.LastName, p.FirstName, p.BirthDate, p.Sex, place.Code)
		p.Email = strings.ToLower(strings.ReplaceAll(p.FirstName+"."+p.LastName, " ", "")) + "@example.com"
		add(p)
	}
	totalWeight := 0
	for _, w := range aslWeight {
		totalWeight += w.weight
	}
	for len(out) < n {
		p := Person{Sex: 'M'}
		if r.IntN(2) == 0 {
			p.Sex = 'F'
			p.FirstName = femaleNames[r.IntN(len(femaleNames))]
		} else {
			p.FirstName = maleNames[r.IntN(len(maleNames))]
		}
		p.LastName = surnames[r.IntN(len(surnames))]
		p.BirthDate = time.Date(1930+r.IntN(75), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		pick := r.IntN(totalWeight)
		for _, w := range aslWeight {
			if pick < w.weight {
				p.ASL = w.code
				break
			}
			pick -= w.weight
		}
		// Most were born in Piemonte, a few abroad.
		if r.IntN(12) == 0 {
			foreign := []string{"Z129", "Z330", "Z600", "Z100", "Z127"} // Romania, Morocco, Argentina, Albania, Poland
			place, ok := reg.Lookup(foreign[r.IntN(len(foreign))], p.BirthDate)
			if !ok {
				continue
			}
			p.BirthPlace = place
		} else {
			list := comuni[aslProvince[p.ASL]]
			p.BirthPlace = list[r.IntN(len(list))]
			if _, ok := reg.Lookup(p.BirthPlace.Code, p.BirthDate); !ok {
				continue // comune created after the birth: draw again
			}
		}
		residence(r, &p, comuni, torino)
		p.FiscalCode = fiscalcode.Generate(p.LastName, p.FirstName, p.BirthDate, p.Sex, p.BirthPlace.Code)
		if r.IntN(3) == 0 {
			p.Email = strings.ToLower(strings.ReplaceAll(p.FirstName+"."+p.LastName, " ", "")) + fmt.Sprintf("%d@example.com", r.IntN(100))
		}
		add(p)
	}
	return out, nil
}

func residence(r *rand.Rand, p *Person, comuni map[string][]places.Place, torino places.Place) {
	if p.ASL == "010301" {
		p.ResidenceComune = torino.Name
	} else {
		list := comuni[aslProvince[p.ASL]]
		p.ResidenceComune = list[r.IntN(len(list))].Name
	}
	p.ResidenceAddress = fmt.Sprintf("%s %d", streets[r.IntN(len(streets))], 1+r.IntN(120))
	p.CardNumber = fmt.Sprintf("80380%015d", r.Int64N(1e15))
}
