package apptest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"esenzioni/adapters/auth"
	"esenzioni/domain/access"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/domain/practice"
	"esenzioni/service/practices"
	"esenzioni/store"
	"esenzioni/workflows"
)

// ASL codes of the catalogue used by tests.
const (
	ASLTO3    = "010203"
	ASLCN2    = "010211"
	ASLTorino = "010301"
)

// Password and PIN of every test operator.
const (
	Password = "Prova.2026!"
	PIN      = "654321"
)

var seq atomic.Int64

// FiscalCode returns a valid, unique fiscal code for a made-up person.
func FiscalCode(last, first string, sex byte) string {
	n := seq.Add(1)
	birth := time.Date(1940+int(n%60), time.Month(1+n%12), 1+int(n%28), 0, 0, 0, 0, time.UTC)
	torino, _ := places.Default().Find("TORINO", "TO")
	return fiscalcode.Generate(last, first, birth, sex, torino.Code)
}

// Operator creates an operator with the given profiles and returns it.
func (e *Env) Operator(username string, profiles ...store.OperatorProfile) store.Operator {
	e.T.Helper()
	pw, pin, err := auth.HashCredentials(Password, PIN)
	if err != nil {
		e.T.Fatal(err)
	}
	last := strings.ToUpper(strings.ReplaceAll(username, ".", ""))
	o := store.Operator{Username: username, FiscalCode: FiscalCode(last, "OPERATORE", 'M'), FirstName: "OPERATORE",
		LastName: last, PasswordHash: pw, PINHash: pin, Active: true}
	if err := e.Store().CreateOperator(context.Background(), &o, profiles); err != nil {
		e.T.Fatal(err)
	}
	return o
}

// Profile builds a profile for Operator; asl "" is regional.
func Profile(role access.Role, asl, location string) store.OperatorProfile {
	p := store.OperatorProfile{Role: string(role), Location: location}
	if asl != "" {
		p.ASLCode = &asl
	}
	return p
}

// Person creates a beneficiary resident in asl.
func (e *Env) Person(first, last, asl, email string) store.Beneficiary {
	e.T.Helper()
	fc := FiscalCode(last, first, 'F')
	parsed, err := fiscalcode.Parse(fc, places.Default())
	if err != nil {
		e.T.Fatal(err)
	}
	b := store.Beneficiary{FiscalCode: fc, FirstName: first, LastName: last, BirthDate: parsed.BirthDate,
		BirthPlaceCode: parsed.PlaceCode, BirthPlaceName: parsed.Place.Name, Sex: "F",
		ResidenceAddress: "VIA ROMA 1", ResidenceComune: "COLLEGNO", ASLCode: asl, CardNumber: "80380000000000000001",
		Email: email, UpdatedAt: time.Now()}
	if err := e.Store().UpsertBeneficiary(context.Background(), &b); err != nil {
		e.T.Fatal(err)
	}
	return b
}

// APIClient creates an intake client and returns its bearer token.
func (e *Env) APIClient(name string, kinds []practice.SubmitterKind, fc string) string {
	e.T.Helper()
	token, digest, err := auth.NewToken()
	if err != nil {
		e.T.Fatal(err)
	}
	c := &store.APIClient{Name: name, TokenHash: digest}
	for _, k := range kinds {
		c.SubmitterKinds = append(c.SubmitterKinds, string(k))
	}
	if fc != "" {
		c.FiscalCode = &fc
	}
	if err := e.Store().UpsertAPIClient(context.Background(), c); err != nil {
		e.T.Fatal(err)
	}
	return token
}

// Submit creates a practice for person through the intake service, as a
// doctor, and waits for it to reach the read model.
func (e *Env) Submit(person store.Beneficiary, code, diagnosis string) string {
	e.T.Helper()
	doctor := FiscalCode("MEDICO", "GIOVANNI", 'M')
	res, err := e.Practices.Submit(context.Background(), practices.Submission{
		Source: "test", Key: fmt.Sprintf("k-%d", seq.Add(1)),
		SubmitterKind: practice.SubmitterDoctor, SubmitterFC: doctor, SubmitterRole: access.MedicoSpecialista,
		Beneficiary:   practices.BeneficiaryData{FiscalCode: person.FiscalCode},
		ExemptionCode: code, DiagnosisCode: diagnosis,
	})
	if err != nil {
		e.T.Fatal(err)
	}
	e.WaitPractice(res.Number, func(p store.Practice) bool { return true })
	return res.Number
}

// WaitPractice waits until the read model shows number in a state cond
// accepts, and returns it.
func (e *Env) WaitPractice(number string, cond func(store.Practice) bool) store.Practice {
	e.T.Helper()
	var p store.Practice
	e.Eventually(20*time.Second, "practice "+number+" in the read model", func() (bool, error) {
		var err error
		p, err = e.Store().PracticeByNumber(context.Background(), number)
		return err == nil && cond(p), err
	})
	return p
}

// Act performs an action as actor and fails the test on error.
func (e *Env) Act(number string, action practice.Action, actor access.Actor, mutate ...func(*workflows.PracticeCommand)) workflows.ActionResult {
	e.T.Helper()
	cmd := workflows.PracticeCommand{Command: practice.Command{Action: action, Actor: actor,
		RequestID: fmt.Sprintf("req-%d", seq.Add(1))}}
	for _, m := range mutate {
		m(&cmd)
	}
	res, err := e.Practices.Act(context.Background(), number, cmd)
	if err != nil {
		e.T.Fatalf("%s on %s: %v", action, number, err)
	}
	return res
}

// Login signs username in through the login form over plain HTTP and
// returns a client holding the session, and the session token (what a
// supervisor gives the Temporal CLI as the codec endpoint's bearer token).
func (e *Env) Login(username string) (*http.Client, string) {
	e.T.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(e.URL+"/login", url.Values{"username": {username},
		"password": {Password}, "pin": {PIN}, "next": {"/"}})
	if err != nil {
		e.T.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.T.Fatalf("login of %s: %s", username, resp.Status)
	}
	u, _ := url.Parse(e.URL)
	for _, c := range jar.Cookies(u) {
		if c.Name == "esenzioni_sessione" {
			return hc, c.Value
		}
	}
	e.T.Fatalf("login of %s: no session cookie", username)
	return nil, ""
}
