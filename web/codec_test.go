package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"esenzioni/access"
	"esenzioni/internal/apptest"
)

// TestCodecEndpoint: the Temporal UI decodes payloads through the app, and
// only a regional administrator's session may.
func TestCodecEndpoint(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("admin.codec", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))
	e.Operator("op.codec", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))

	secret := "RSSMRA80A01H501U"
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"fiscalCode": secret})
	require.NoError(t, err)
	enc, err := e.Codec().Encode([]*commonpb.Payload{p})
	require.NoError(t, err)
	require.NotContains(t, string(enc[0].Data), secret)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	require.NoError(t, err)

	decode := func(c *http.Client, origin string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/codec/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	login := func(user string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(e.URL + "/login")
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp, err = c.PostForm(e.URL+"/login", url.Values{"_csrf": {between(string(page), `name="_csrf" value="`, `"`)},
			"username": {user}, "password": {apptest.Password}, "pin": {apptest.PIN}})
		require.NoError(t, err)
		resp.Body.Close()
		return c
	}

	resp, _ := decode(http.DefaultClient, "http://localhost:8233")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "anonymous")
	resp, _ = decode(login("op.codec"), "http://localhost:8233")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "an ASL operator")

	resp, out := decode(login("admin.codec"), "http://localhost:8233")
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	require.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(out), &decoded))
	var m map[string]string
	require.NoError(t, json.Unmarshal(decoded.Payloads[0].Data, &m))
	require.Equal(t, secret, m["fiscalCode"])

	resp, _ = decode(login("admin.codec"), "http://evil.example")
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "other origins get no CORS grant")
}
