package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/adapters/signature"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/testsign"
)

// opSession is an operator logged in over HTTP, as a browser without
// JavaScript would be.
type opSession struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newOpSession(t *testing.T, base, username string) *opSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &opSession{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.get("/login")
	resp, err := s.c.PostForm(base+"/login", url.Values{"username": {username}, "password": {apptest.Password}, "pin": {apptest.PIN}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "login of %s", username)
	return s
}

func (s *opSession) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.c.Get(s.base + path)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *opSession) post(path string, form url.Values) (int, string, string) {
	s.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	resp, err := s.c.PostForm(s.base+path, form)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// upload posts a document form (fields first, the file last) and returns
// the status and the page.
func (s *opSession) upload(path string, fields map[string]string, fileName string, data []byte) (int, string) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(s.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", fileName)
	require.NoError(s.t, err)
	_, _ = fw.Write(data)
	require.NoError(s.t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, s.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.c.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// attachmentCount counts the stored attachments (staged or linked).
func attachmentCount(t *testing.T, e *apptest.Env) int {
	n, err := e.DB.NewSelect().Table("attachment").Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

// TestBadFilesRefusedOnEveryUploadRoute: the kinds of bad files (nested
// beyond the limit around an untrusted signature, bytes appended after the
// CMS, tampered, untrusted, expired, garbage, unsigned) are refused with
// their reason by every upload route, and nothing is stored; a good file
// is accepted by each (issue 12, point 1).
func TestBadFilesRefusedOnEveryUploadRoute(t *testing.T) {
	w := newExemptionWorld(t)
	files, err := testsign.HostileFiles(w.CA, w.Signer, signature.MinimalPDF("Certificato di patologia"))
	require.NoError(t, err)
	name := func(kind string) string {
		if signature.Sniff(files[kind]) == signature.FormatCMS {
			return kind + ".pdf.p7m"
		}
		return kind + ".pdf"
	}
	docFields := map[string]string{"tipo": "CERTIFICAZIONE_SPECIALISTICA", "data_rilascio": "01/10/2026"}

	t.Run("Modifica of an exemption", func(t *testing.T) {
		s := newOpSession(t, w.URL, "operatore.to3")
		path := fmt.Sprintf("/esenzioni/%d/modifica/documenti", w.fromPractice)
		for _, kind := range testsign.RefusedKinds {
			before := attachmentCount(t, w.Env)
			status, page := s.upload(path, docFields, name(kind), files[kind])
			require.Equal(t, http.StatusUnprocessableEntity, status, kind)
			require.Contains(t, page, `id="file-errore"`, kind)
			require.Equal(t, before, attachmentCount(t, w.Env), "%s: nothing stored", kind)
		}
		status, _ := s.upload(path, docFields, "buono.pdf.p7m", w.SignedP7M("buono"))
		require.Equal(t, http.StatusSeeOther, status, "a good file is accepted")
	})

	t.Run("new-exemption wizard", func(t *testing.T) {
		s := newOpSession(t, w.URL, "operatore.to3")
		status, _, loc := s.post("/esenzioni/nuova", url.Values{"cf": {w.verdi.FiscalCode}})
		require.Equal(t, http.StatusSeeOther, status)
		draft := strings.Split(strings.TrimPrefix(loc, "/esenzioni/nuova/"), "/")[0]
		path := "/esenzioni/nuova/" + draft + "/documenti"
		for _, kind := range testsign.RefusedKinds {
			before := attachmentCount(t, w.Env)
			status, page := s.upload(path, docFields, name(kind), files[kind])
			require.Equal(t, http.StatusUnprocessableEntity, status, kind)
			require.Contains(t, page, `id="file-errore"`, kind)
			require.Equal(t, before, attachmentCount(t, w.Env), "%s: nothing stored", kind)
		}
		status, _ = s.upload(path, docFields, "buono.pdf", w.SignedPDF("buono"))
		require.Equal(t, http.StatusSeeOther, status, "a good file is accepted")
	})

	t.Run("API POST /api/v1/attachments", func(t *testing.T) {
		token := w.APIClient("medico-upload", []practice.SubmitterKind{practice.SubmitterDoctor}, apptest.FiscalCode("BIANCO", "LUCA", 'M'))
		upload := func(fileName string, data []byte) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, w.URL+"/api/v1/attachments?fileName="+url.QueryEscape(fileName), bytes.NewReader(data))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/octet-stream")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var out map[string]any
			require.NoError(t, jsonUnmarshal(raw, &out), string(raw))
			return resp.StatusCode, out
		}
		for _, kind := range testsign.RefusedKinds {
			before := attachmentCount(t, w.Env)
			status, body := upload(name(kind), files[kind])
			require.Equal(t, http.StatusUnprocessableEntity, status, kind)
			require.True(t, strings.HasPrefix(errCode(body), "signature."), "%s: %v", kind, body)
			require.Equal(t, before, attachmentCount(t, w.Env), "%s: nothing stored", kind)
		}
		status, _ := upload("buono.pdf.p7m", w.SignedP7M("buono"))
		require.Equal(t, http.StatusCreated, status, "a good file is accepted")
	})
}
