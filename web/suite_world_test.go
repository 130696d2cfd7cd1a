package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/store"
)

// suiteWorld is the application the authorization matrix and the hostile
// input suite run against: two ASLs (TO3 and CN2), each with a resident,
// an open practice sent through the API with a certificate (.p7m) and a
// citizen's attachment, and a validated practice with its exemption; an
// operator, a district doctor, an operator of the other ASL and a regional
// administrator, each with a draft of the new-exemption wizard; a doctor's
// software (TO3's practices) and a citizens' portal (CN2's).
type suiteWorld struct {
	*apptest.Env
	asl map[string]*aslData // by "TO3", "CN2"
	// UI identities by name: "anonimo" (no session), "operatore.to3",
	// "medico.to3", "operatore.cn2", "amministratore".
	ids []*identity
	// API identities: "nessun token", "medico" (TO3's client), "portale"
	// (CN2's client).
	apis []*apiIdentity
}

type aslData struct {
	Code           string
	Person         store.Beneficiary
	Open           string // practice INVIATA, with documents
	Validated      string // practice VALIDATA
	Exemption      int64  // of Validated
	Certificate    string // attachment ids of Open
	CitizenDoc     string
	OtherPersonPII []string // what identifies this ASL's person
}

// identity is a browser user.
type identity struct {
	Name     string
	Username string
	ASL      string // "TO3", "CN2", "" for regional or anonymous
	Regional bool
	Session  *httpSession // nil for anonimo
	Draft    string       // the identity's own wizard draft
	op       store.Operator
}

type apiIdentity struct {
	Name  string
	Token string
	ASL   string // the ASL of the practices it submitted
}

func newSuiteWorld(t *testing.T) *suiteWorld {
	t.Helper()
	e := apptest.New(t, apptest.Options{})
	w := &suiteWorld{Env: e, asl: map[string]*aslData{}}
	ctx := context.Background()
	doctorFC := apptest.FiscalCode("SPECIALISTA", "GIULIO", 'M')
	doctor := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, doctorFC)
	portal := e.APIClient("portale", []practice.SubmitterKind{practice.SubmitterCitizen, practice.SubmitterDelegate}, "")
	w.apis = []*apiIdentity{{Name: "nessun token"}, {Name: "medico", Token: doctor, ASL: "TO3"}, {Name: "portale", Token: portal, ASL: "CN2"}}

	opTO3 := e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	medTO3 := e.Operator("medico.to3", apptest.Profile(access.MedicoASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	opCN2 := e.Operator("operatore.cn2", apptest.Profile(access.OperatoreASL, apptest.ASLCN2, "DISTRETTO BRA"))
	admin := e.Operator("amministratore", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))

	for _, a := range []struct {
		short, code, first, last, token, kind, submitterFC string
		actor                                              store.Operator
	}{
		{"TO3", apptest.ASLTO3, "ZELINDA", "ZAFFIRO", doctor, "MEDICO", "", opTO3},
		{"CN2", apptest.ASLCN2, "ORNELLA", "ONICE", portal, "CITTADINO", "", opCN2},
	} {
		d := &aslData{Code: a.code}
		d.Person = e.Person(a.first, a.last, a.code, strings.ToLower(a.first)+"@example.it")
		d.OtherPersonPII = []string{d.Person.FiscalCode, a.last}
		submitter := a.submitterFC
		if a.kind == "CITTADINO" {
			submitter = d.Person.FiscalCode
		}
		upload := func(name string, data []byte) string {
			req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/attachments?fileName="+name, bytes.NewReader(data))
			req.Header.Set("Authorization", "Bearer "+a.token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var out struct{ ID string }
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			return out.ID
		}
		submit := func(code, diag string, docs bool) string {
			body := map[string]any{"submitter": map[string]any{"kind": a.kind, "fiscalCode": submitter},
				"beneficiary": map[string]any{"fiscalCode": d.Person.FiscalCode}, "exemptionCode": code, "diagnosisCode": diag}
			if docs {
				d.Certificate = upload("certificato.pdf.p7m", e.SignedP7M("certificato di "+a.last))
				d.CitizenDoc = upload("referto.pdf", e.SignedPDF("referto di "+a.last))
				body["certificateId"], body["attachmentIds"] = d.Certificate, []string{d.CitizenDoc}
			}
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/practices", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+a.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var out struct{ Number string }
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			e.WaitPractice(out.Number, func(store.Practice) bool { return true })
			return out.Number
		}
		d.Open = submit("044", "2960", true)
		d.Validated = submit("042", "5771", false)
		actor := access.Actor{FiscalCode: a.actor.FiscalCode, Role: access.OperatoreASL, ASL: a.code}
		d.Exemption = e.Act(d.Validated, practice.Validate, actor).Exemption.ID
		w.asl[a.short] = d
	}

	w.ids = []*identity{
		{Name: "anonimo"},
		{Name: "operatore.to3", Username: "operatore.to3", ASL: "TO3", op: opTO3},
		{Name: "medico.to3", Username: "medico.to3", ASL: "TO3", op: medTO3},
		{Name: "operatore.cn2", Username: "operatore.cn2", ASL: "CN2", op: opCN2},
		{Name: "amministratore", Username: "amministratore", Regional: true, op: admin},
	}
	for _, id := range w.ids {
		if id.Username == "" {
			id.Session = newHTTPSession(t, e.URL)
			continue
		}
		id.Session = loginHTTP(t, e.URL, id.Username)
		person := w.asl["TO3"].Person
		if id.ASL == "CN2" {
			person = w.asl["CN2"].Person
		}
		d := &store.Draft{ID: uuid(), OperatorID: id.op.ID, BeneficiaryFC: person.FiscalCode, Category: "MC"}
		require.NoError(t, e.Store().CreateDraft(ctx, d))
		id.Draft = d.ID
	}
	return w
}

func (w *suiteWorld) identity(name string) *identity {
	for _, id := range w.ids {
		if id.Name == name {
			return id
		}
	}
	panic("no identity " + name)
}

// own is the ASL whose records are the identity's: its own, TO3 for the
// regional administrator and the anonymous user; other is the other one.
func (w *suiteWorld) own(id *identity) *aslData {
	if id.ASL == "CN2" {
		return w.asl["CN2"]
	}
	return w.asl["TO3"]
}

func (w *suiteWorld) other(id *identity) *aslData {
	if id.ASL == "CN2" {
		return w.asl["TO3"]
	}
	return w.asl["CN2"]
}

// draftOf is the identity's draft (own) or another operator's.
func (w *suiteWorld) draftOf(id *identity, own bool) string {
	if own && id.Draft != "" {
		return id.Draft
	}
	if id.Name == "operatore.cn2" {
		return w.identity("operatore.to3").Draft
	}
	return w.identity("operatore.cn2").Draft
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
