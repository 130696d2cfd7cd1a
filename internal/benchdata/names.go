package benchdata

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// First names, upper case as the application stores them. "Classic" names
// are those of people born before the 1970s, "modern" ones of the younger
// generations; each list is roughly in order of frequency.
var (
	maleClassic = []string{
		"GIUSEPPE", "GIOVANNI", "ANTONIO", "MARIO", "LUIGI", "FRANCESCO", "ANGELO", "VINCENZO", "PIETRO", "SALVATORE",
		"CARLO", "FRANCO", "DOMENICO", "BRUNO", "PAOLO", "MICHELE", "GIORGIO", "ALDO", "SERGIO", "LUCIANO",
		"ROBERTO", "RENATO", "GIANCARLO", "ENZO", "GIANNI", "ROCCO", "RAFFAELE", "PIERO", "NICOLA", "ALBERTO",
		"VITTORIO", "ENRICO", "UMBERTO", "ERNESTO", "ARMANDO", "ATTILIO", "EMILIO", "ETTORE", "FELICE", "GUIDO",
		"OSVALDO", "PASQUALE", "REMO", "SILVIO", "TULLIO", "UGO", "WALTER", "ADRIANO", "AMEDEO", "ARTURO",
		"AUGUSTO", "BATTISTA", "CESARE", "CORRADO", "COSIMO", "DINO", "ELIO", "EUGENIO", "FAUSTO", "FERNANDO",
		"FLAVIO", "GAETANO", "GERARDO", "GIACOMO", "GIANFRANCO", "GINO", "GIULIO", "GRAZIANO", "IVANO", "LIVIO",
		"MARCELLO", "MARINO", "MARTINO", "MAURO", "NATALE", "NELLO", "NINO", "ORESTE", "ORAZIO", "OTTAVIO",
		"PIERGIORGIO", "PIERLUIGI", "PRIMO", "RENZO", "RINALDO", "RODOLFO", "ROMANO", "ROSARIO", "RUGGERO", "SANDRO",
		"SANTO", "SAVERIO", "SEBASTIANO", "SECONDO", "SEVERINO", "TOMMASO", "VALERIO", "VITO", "ARNALDO", "BENEDETTO",
		"BERNARDO", "BIAGIO", "CALOGERO", "CARMELO", "CIRO", "CLEMENTE", "COSTANTINO", "DAMIANO", "DELFINO", "DONATO",
		"EGIDIO", "ELVIO", "ERMINIO", "FIORENZO", "FORTUNATO", "FULVIO", "GASPARE", "GERMANO", "GIANMARIO", "GILBERTO",
		"GIORDANO", "ILARIO", "ITALO", "LEANDRO", "LEOPOLDO", "LINO", "LUCIO", "MARIANO", "MODESTO", "NAZARENO",
		"NORBERTO", "OLINDO", "PALMIRO", "QUINTO", "RAIMONDO", "REMIGIO", "ROMEO", "SERAFINO", "SILVANO", "TEODORO",
		"VALENTINO", "VIRGILIO", "VITTORINO", "ZENO", "GIAN PIERO", "GIAN CARLO", "PIER PAOLO", "ANSELMO", "ALFREDO", "ALFONSO",
	}
	maleModern = []string{
		"ANDREA", "MARCO", "ALESSANDRO", "LUCA", "MATTEO", "DAVIDE", "SIMONE", "FEDERICO", "LORENZO", "STEFANO",
		"MASSIMO", "FABIO", "MAURIZIO", "CLAUDIO", "RICCARDO", "DANIELE", "EMANUELE", "GABRIELE", "FILIPPO", "EDOARDO",
		"ALESSIO", "CRISTIAN", "CHRISTIAN", "DIEGO", "MATTIA", "TOMMASO", "LEONARDO", "GIANLUCA", "MIRKO", "DARIO",
		"SAMUELE", "NICOLO'", "MANUEL", "ELIA", "GIOELE", "RICCARDO", "FRANCESCO", "PIETRO", "GIACOMO", "MICHELE",
		"MASSIMILIANO", "IGOR", "DENIS", "KEVIN", "IVAN", "JACOPO", "ALBERTO", "ENRICO", "LUIGI", "VALERIO",
		"ROBERTO", "PAOLO", "NICOLA", "GIORGIO", "ANTONIO", "GIUSEPPE", "GIOVANNI", "VINCENZO", "SALVATORE", "UMBERTO",
		"CARLO", "EDOARDO", "CESARE", "ACHILLE", "ELIO", "TIZIANO", "OMAR", "CHRISTIAN", "ERIK", "THOMAS",
		"MANUELE", "MORENO", "LORIS", "MICHAEL", "DENNIS", "NOAH", "LEONE", "ETTORE", "BRANDO", "ALEX",
	}
	femaleClassic = []string{
		"MARIA", "ANNA", "GIUSEPPINA", "ROSA", "ANGELA", "GIOVANNA", "TERESA", "LUCIA", "CARMELA", "CATERINA",
		"FRANCESCA", "ANNA MARIA", "ANTONIETTA", "CARLA", "ELENA", "CONCETTA", "RITA", "MARGHERITA", "FRANCA", "PAOLA",
		"LUISA", "BRUNA", "GRAZIA", "LAURA", "ELISABETTA", "LOREDANA", "MARINA", "GABRIELLA", "SILVANA", "LIDIA",
		"LUCIANA", "ADRIANA", "GIULIANA", "GRAZIELLA", "LILIANA", "MIRELLA", "NADIA", "ORNELLA", "PIERA", "RENATA",
		"ROSANNA", "SANDRA", "VERA", "WANDA", "ALBA", "ALDA", "AMALIA", "ANGELINA", "ASSUNTA", "AUGUSTA",
		"BIANCA", "CESARINA", "CLARA", "COSTANZA", "DELIA", "DINA", "DORA", "EDDA", "ELDA", "ELSA",
		"ERMINIA", "ESTER", "FERNANDA", "FIORELLA", "GEMMA", "GINA", "GIUSEPPA", "IDA", "IOLANDA", "IRMA",
		"LEA", "LINA", "LIVIA", "MADDALENA", "MAFALDA", "MARCELLA", "MARISA", "MATILDE", "MIRANDA", "NATALINA",
		"NELLA", "NORMA", "OLGA", "PALMIRA", "PIERINA", "PINA", "RINA", "ROMANA", "ROSALIA", "ROSARIA",
		"ROSETTA", "SANTINA", "SERAFINA", "TERESINA", "VINCENZA", "VITTORIA", "ELVIRA", "ERNESTINA", "FILOMENA", "ADELE",
		"AGNESE", "ALMA", "ANITA", "ARMANDA", "BEATRICE", "CECILIA", "CELESTINA", "CLOTILDE", "DOMENICA", "EMILIA",
		"MARIA GRAZIA", "MARIA TERESA", "MARIA ROSA", "MARIA LUISA", "ANNA ROSA", "MARIA PIA", "MARIA ANGELA", "ORSOLA", "PIA", "VIRGINIA",
		"MARIUCCIA", "LETIZIA", "IVANA", "MILENA", "DONATELLA", "ORIETTA", "ROSELLA", "GIOVANNINA", "ANNUNZIATA", "IMMACOLATA",
	}
	femaleModern = []string{
		"GIULIA", "FRANCESCA", "SARA", "CHIARA", "VALENTINA", "ALESSANDRA", "SILVIA", "FEDERICA", "ELISA", "ELENA",
		"MARTINA", "LAURA", "CRISTINA", "DANIELA", "MONICA", "BARBARA", "SIMONA", "ROBERTA", "PATRIZIA", "MANUELA",
		"CLAUDIA", "STEFANIA", "SABRINA", "SERENA", "ILARIA", "FEDERICA", "ALICE", "GIORGIA", "SOFIA", "AURORA",
		"ALESSIA", "ANNALISA", "ANTONELLA", "ARIANNA", "BENEDETTA", "CAMILLA", "CINZIA", "DEBORA", "DENISE", "ELEONORA",
		"EMANUELA", "ERICA", "FABIANA", "GAIA", "GINEVRA", "IRENE", "JESSICA", "LARA", "LORENA", "LUDOVICA",
		"MARIKA", "MELISSA", "MICHELA", "MORENA", "NOEMI", "PAMELA", "RAFFAELLA", "REBECCA", "SONIA", "TANIA",
		"TIZIANA", "VANESSA", "VERONICA", "VIVIANA", "VALERIA", "GRETA", "ANGELICA", "DILETTA", "GLORIA", "LUCREZIA",
		"MIRIAM", "NICOLE", "NICOLETTA", "OTTAVIA", "ROSSELLA", "SELENE", "SVEVA", "EMMA", "ANNA", "MARIA",
		"MARTA", "ASIA", "BEATRICE", "CATERINA", "ELISABETTA", "FRANCA", "GIADA", "LISA", "MATILDE", "VIOLA",
	}
	maleForeign = []string{
		"ANDREI", "ION", "MIHAI", "ALEXANDRU", "MOHAMED", "AHMED", "YOUSSEF", "KARIM", "ARDIT", "ERION",
		"WEI", "JIAN", "JOSE", "LUIS", "CARLOS", "OLEKSANDR", "SERGHEI", "EMMANUEL", "MAMADOU", "IBRAHIMA",
		"VASILE", "GHEORGHE", "CONSTANTIN", "RACHID", "HAMZA", "BLERIM", "JUAN", "VICTOR", "DMYTRO", "OUSMANE",
	}
	femaleForeign = []string{
		"IOANA", "ANA", "ELENA", "MARIA", "FATIMA", "KHADIJA", "AMINA", "ELONA", "LI", "MEI",
		"ROSA", "CARMEN", "OLENA", "TETIANA", "NATALIA", "AISSATOU", "MARIAMA", "IRINA", "SVETLANA", "GABRIELA",
		"MIHAELA", "DANIELA", "NADIA", "SAMIRA", "ERIONA", "XIAO", "LUCIA", "GLORIA", "OKSANA", "FATOU",
	}
)

// Italian surnames, roughly in order of frequency in Piedmont (FERRERO,
// ROSSO and BRUNO lead there; the national leaders follow closely).
var italianSurnames = []string{
	"FERRERO", "ROSSO", "BRUNO", "RUSSO", "BIANCO", "ROSSI", "COLOMBO", "ROMANO", "ESPOSITO", "RICCI",
	"MARINO", "GALLO", "COSTA", "FERRARI", "GRECO", "GIORDANO", "CONTI", "BIANCHI", "DE LUCA", "MANCINI",
	"RIZZO", "LOMBARDI", "MORETTI", "BARBERO", "GIRAUDO", "CERUTTI", "DALMASSO", "MONDINO", "BERTOLA", "MARTINI",
	"ARNAUDO", "BARALE", "BONINO", "BOSIO", "CAVALLO", "GIACHINO", "GARINO", "MARTINA", "OLIVERO", "PEIRANO",
	"RAVERA", "VIETTI", "PANERO", "TESTA", "VALLE", "BARBIERI", "FONTANA", "SANTORO", "MARIANI", "RINALDI",
	"CARUSO", "FERRARA", "GALLI", "LEONE", "LONGO", "GENTILE", "MARTINELLI", "VITALE", "LOMBARDO", "SERRA",
	"COPPOLA", "DE SANTIS", "D'ANGELO", "MARCHETTI", "PARISI", "VILLA", "CONTE", "FERRARO", "FERRI", "FABBRI",
	"MARINI", "GRASSO", "VALENTINI", "MESSINA", "SALA", "DE ANGELIS", "GATTI", "PELLEGRINI", "PALUMBO", "FARINA",
	"RIZZI", "MONTI", "CATTANEO", "MORELLI", "AMATO", "SILVESTRI", "MAZZA", "GRASSI", "PELLEGRINO", "CARBONE",
	"GIULIANI", "BENEDETTI", "BARONE", "ROSSETTI", "CAPUTO", "MONTANARI", "GUERRA", "PALMIERI", "BERNARDI", "MARTINO",
	"FIORE", "DE ROSA", "FERRETTI", "BELLINI", "BASILE", "RIVA", "DONATI", "VITALI", "BATTAGLIA", "SARTORI",
	"NERI", "COSTANTINI", "MILANI", "PAGANO", "RUGGIERO", "SORRENTINO", "D'AMICO", "ORLANDO", "NEGRI", "CARENA",
	"DEMARIA", "FASSIO", "BERTOLINO", "BORELLO", "BONETTO", "CHIAPELLO", "ROSSOTTO", "TOSELLI", "RINAUDO", "RIBERO",
	"BERARDO", "ALLASIA", "AUDISIO", "BAUDINO", "BELLONE", "BERGESE", "BERTELLO", "BIANCOTTO", "BOERO", "BONGIOVANNI",
	"BORGNA", "BOTTA", "BRIZIO", "BURZIO", "CALVO", "CARLE", "CASALE", "CASETTA", "CHIABRANDO", "CHIARLE",
	"COMBA", "CORNAGLIA", "CROSETTO", "DAVICO", "DEGIOVANNI", "DELFINO", "EANDI", "FALCO", "FANTINO", "FERRUA",
	"FOGLIATO", "FORNERIS", "GAGLIARDI", "GALLINA", "GAMBINO", "GARELLI", "GARRONE", "GASTALDI", "GHIBAUDO", "GIACHERO",
	"GIORDANENGO", "GONELLA", "GRIBAUDO", "GROSSO", "LANZA", "LERDA", "LUSSO", "MACARIO", "MAGNINO", "MANASSERO",
	"MARENGO", "MASERA", "MELLANO", "MERLO", "MICHELIS", "MILANESIO", "MINA", "MOLINERIS", "MOLINO", "MONGE",
	"MONTALDO", "MORRA", "MUSSO", "NEGRO", "OBERTO", "OCCELLI", "OLIVETTI", "OSELLA", "PAGLIERO", "PAIRONE",
	"PANSA", "PASCHETTA", "PAUTASSO", "PEANO", "PEROTTI", "PEROTTO", "PIOVANO", "POGGIO", "PONZO", "PRATO",
	"QUAGLIA", "RACCA", "REVELLI", "RIBA", "RIGHETTI", "ROCCA", "SACCO", "SALVAGNO", "SAPPA", "SCARAFIA",
	"SOLA", "SOLERO", "TALLONE", "TARDITI", "TESIO", "TOMATIS", "TOSCO", "TRUCCO", "VACCHETTA", "VALINOTTI",
	"VARETTO", "VIALE", "VIGNA", "VIGNOLO", "VINCENTI", "VIORA", "VOTTERO", "ZUCCO", "AIMAR", "ZANOTTI",
	"BERTOLOTTI", "LA ROSA", "LO RUSSO", "CALABRESE", "NAPOLITANO", "SICILIANO", "PUGLIESE", "VENTURA", "DI STEFANO", "D'AGOSTINO",
	"DI MAURO", "SANNA", "PIRAS", "MELIS", "CARTA", "PINNA", "DE MARCO", "DI PIETRO", "RUSSI", "CAPUANO",
	"FALCONE", "MARRA", "IANNONE", "GUARINO", "CIRILLO", "RUSSOTTO", "LAURIA", "SCIORTINO", "MANGANO", "CALLERI",
	"AMODEO", "AIELLO", "ALBANESE", "BELLO", "BENVENUTO", "CAMPANELLA", "CANNATA", "CAPPELLO", "CARDONE", "CASTELLI",
	"CATALANO", "CAVALLARO", "CERRATO", "CHIESA", "CIANCIO", "COLUCCI", "CORSO", "CRISTIANI", "CUCCHI", "DAVI",
	"DE FILIPPO", "DE MARIA", "DEL BIANCO", "DELL'ACQUA", "DI BENEDETTO", "DI GIORGIO", "DONATO", "FERRANTE", "FIORITO", "FRANCO",
	"GALLINARO", "GALLONE", "GIACOMELLI", "GIUSTI", "GRIMALDI", "GUIDI", "INGRASSIA", "LEO", "LEONARDI", "LUCIANI",
	"MACRI", "MAGGIO", "MANCUSO", "MANZONI", "MARCHI", "MARINELLI", "MASSA", "MAURO", "MAZZOLA", "MELONI",
	"MICELI", "MONACO", "MONTI", "MORABITO", "MORANDI", "MURA", "NARDI", "NOTARO", "ORLANDI", "PACE",
	"PAGANI", "PALMA", "PAPA", "PASSARO", "PERRONE", "PICCOLO", "PISANO", "POLI", "PORCU", "PRINCIPE",
	"PUCCI", "RAIMONDI", "RICCARDI", "RICCIO", "RIGGIO", "RIZZUTO", "ROMEO", "ROTA", "RUSSELLO", "SALERNO",
	"SALVI", "SANTANGELO", "SANTINI", "SCALA", "SCHIAVONE", "SERAFINI", "SPINA", "SPINELLI", "TAVERNA", "TOMASELLI",
	"TORRE", "TRAVERSO", "TRIPODI", "VALENTE", "VENTURINI", "VERDI", "VICARI", "VILLANI", "ZANETTI", "ZITO",
	"BERTA", "BIGLIA", "BOGLIONE", "BONO", "BRUNERO", "CAVAGLIA'", "CERIANA", "CHIAVAZZA", "CORDERO", "DOGLIANI",
	"ELIA", "FISSORE", "GAIDANO", "GAUDINO", "GERBAUDO", "GIACOSA", "GILLI", "GIUBERGIA", "LAVAGNO", "MAINA",
	"MARCHISIO", "MARRO", "MORANDO", "NOVARESE", "PAVESE", "PERINO", "RAVIOLA", "ROGGERO", "ROLANDO", "SAVIO",
	"SCAGLIONE", "SERENO", "TESTORE", "TOMALINO", "VALLINO", "VERCELLONE", "ZAVATTARO", "AGOSTI", "BELTRAMO", "FRANCHINO",
	"GHIGO", "GIAI", "GIAVENO", "MANFREDI", "MOSSO", "OTTINO", "PRETTI", "ROSSETTO", "SIBILLE", "TORTA",
}

// foreignSurnames are given to people born abroad.
var foreignSurnames = []string{
	"POPESCU", "IONESCU", "POP", "RADU", "STAN", "DUMITRU", "ROTARU", "CIOBANU", "MUNTEANU", "CONSTANTIN",
	"EL AMRANI", "BENALI", "EL IDRISSI", "BOUZIANE", "EL MOUDEN", "HOXHA", "SHEHU", "KOLA", "DOKA", "PRENGA",
	"CHEN", "HU", "WANG", "ZHANG", "LIU", "ZHOU", "GARCIA", "RODRIGUEZ", "FLORES", "MENDOZA",
	"TORRES", "QUISPE", "OKAFOR", "EZE", "DIOP", "NDIAYE", "FALL", "KOVALENKO", "MELNYK", "SHEVCHENKO",
	"BONDARENKO", "CEBAN", "RUSU", "SANTOS", "REYES", "HASSAN", "MOHAMED", "IBRAHIM", "SAID", "MARTIN",
}

// Syllables for the tail of plausible surnames (see surnameTail): a
// consonant-vowel start, an optional middle syllable and an Italian ending.
var (
	surnameStarts = []string{
		"BA", "BE", "BO", "BRU", "CA", "CE", "CHIA", "CO", "CRO", "DA", "DE", "DO", "FA", "FE", "FO", "FRA",
		"GA", "GE", "GHI", "GIA", "GO", "GRA", "LA", "LE", "LO", "LU", "MA", "ME", "MI", "MO", "NA", "NE",
		"NO", "PA", "PE", "PI", "PO", "PRA", "RA", "RE", "RI", "RO", "SA", "SE", "SO", "STRA", "TA", "TE",
		"TO", "TRA", "VA", "VE", "VI", "ZA", "ZE",
	}
	surnameMiddles = []string{
		"", "", "", "BA", "BE", "CA", "DA", "GA", "LA", "LE", "LI", "MA", "NA", "NE", "NI", "RA", "RE",
		"RI", "RO", "SA", "TA", "TE", "TI", "VA", "VE", "GLIA", "GNA",
	}
	surnameEnds = []string{
		"TTI", "NI", "SSO", "RO", "NE", "LLI", "TTO", "SIO", "GNO", "DI", "RDI", "NDO", "LDI", "CCI", "RINI",
		"ZZI", "STO", "NATI", "RELLI", "SSI", "NZO", "NGO", "LLO", "NCO", "TTA", "RRA", "LDO", "SCO", "GLIO",
		"NTE", "RTA", "LE", "NA", "SA", "RA", "RETTO", "SETTI", "NERO", "NDINO", "LASSO",
	}
)

// Names is the fixed name material of the generator: first names by sex and
// generation, and the surnames in rank order with their Zipf-like weights.
type names struct {
	first []string // every first name once per list it belongs to (index = person.first)
	// ranges of first into lists
	maleClassic, maleModern, femaleClassic, femaleModern, maleForeign, femaleForeign sampler

	surnames        []string // rank order: Italian (real, then generated), then foreign
	italianSurnames sampler  // over surnames[:nItalian]
	foreignSurnames sampler  // over surnames[nItalian:]
}

// Surname distribution: weight 1/(rank+surnameOffset) over surnameCount
// Italian surnames, which puts about 0.38% of people on the first one.
const (
	surnameCount  = 2000
	surnameOffset = 80
)

// newNames builds the name tables; they depend on nothing but this file.
func newNames() *names {
	n := &names{}
	addList := func(list []string, exponent float64) sampler {
		start := len(n.first)
		n.first = append(n.first, list...)
		w := make([]float64, len(list))
		for i := range w {
			w[i] = 1 / math.Pow(float64(i+10), exponent)
		}
		return newSampler(w, start)
	}
	n.maleClassic = addList(maleClassic, 1)
	n.maleModern = addList(maleModern, 1)
	n.femaleClassic = addList(femaleClassic, 1)
	n.femaleModern = addList(femaleModern, 1)
	n.maleForeign = addList(maleForeign, 0.5)
	n.femaleForeign = addList(femaleForeign, 0.5)

	n.surnames = surnameTable(surnameCount)
	w := make([]float64, len(n.surnames))
	for i := range w {
		w[i] = 1 / float64(i+1+surnameOffset)
	}
	n.italianSurnames = newSampler(w, 0)
	nItalian := len(n.surnames)
	n.surnames = append(n.surnames, foreignSurnames...)
	fw := make([]float64, len(foreignSurnames))
	for i := range fw {
		fw[i] = 1 / float64(i+5)
	}
	n.foreignSurnames = newSampler(fw, nItalian)
	return n
}

// surnameTable returns count distinct Italian surnames: the real ones of
// italianSurnames, then plausible ones built from syllables by a fixed
// pseudo-random sequence (the same on every run, whatever the seed).
func surnameTable(count int) []string {
	out := make([]string, 0, count)
	seen := make(map[string]bool, count)
	for _, s := range italianSurnames {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	r := rand.New(rand.NewPCG(1861, 1946)) // fixed: the list is part of the generator, not of the seed
	for len(out) < count {
		s := surnameStarts[r.IntN(len(surnameStarts))] +
			surnameMiddles[r.IntN(len(surnameMiddles))] +
			surnameEnds[r.IntN(len(surnameEnds))]
		if len(s) < 5 || seen[s] || awkward(s) {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// awkward rejects syllable combinations that read badly in Italian.
func awkward(s string) bool {
	for _, bad := range []string{"AA", "EE", "II", "OO", "UU", "IGLIA", "GNAGN", "GLIAGL", "CHIAGL", "TTITT"} {
		if strings.Contains(s, bad) {
			return true
		}
	}
	return false
}

// firstName picks a first name index for a person of sex born in year.
func (n *names) firstName(r *rand.Rand, sex byte, year int, foreign bool) int {
	if foreign {
		if sex == 'F' {
			return n.femaleForeign.pick(r)
		}
		return n.maleForeign.pick(r)
	}
	modern := r.Float64() < clamp(float64(year-1960)/30, 0, 0.85)
	switch {
	case sex == 'F' && modern:
		return n.femaleModern.pick(r)
	case sex == 'F':
		return n.femaleClassic.pick(r)
	case modern:
		return n.maleModern.pick(r)
	default:
		return n.maleClassic.pick(r)
	}
}

// surname picks a surname index.
func (n *names) surname(r *rand.Rand, foreign bool) int {
	if foreign && r.IntN(10) < 8 {
		return n.foreignSurnames.pick(r)
	}
	return n.italianSurnames.pick(r)
}

// sampler draws an index with probability proportional to its weight.
type sampler struct {
	cum    []float64 // cumulative weights
	offset int       // added to the drawn position
}

func newSampler(weights []float64, offset int) sampler {
	cum := make([]float64, len(weights))
	total := 0.0
	for i, w := range weights {
		total += w
		cum[i] = total
	}
	return sampler{cum: cum, offset: offset}
}

func (s sampler) pick(r *rand.Rand) int {
	return s.at(r.Float64())
}

// at maps u in [0,1) to an index.
func (s sampler) at(u float64) int {
	x := u * s.cum[len(s.cum)-1]
	i := sort.SearchFloat64s(s.cum, x)
	if i < len(s.cum) && s.cum[i] == x {
		i++ // cum[i] is the upper bound of item i, exclusive
	}
	return min(i, len(s.cum)-1) + s.offset
}

// prob is the probability of position i (without the offset).
func (s sampler) prob(i int) float64 {
	prev := 0.0
	if i > 0 {
		prev = s.cum[i-1]
	}
	return (s.cum[i] - prev) / s.cum[len(s.cum)-1]
}

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }
