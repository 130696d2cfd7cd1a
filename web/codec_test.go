package web_test

import (
	"bytes"
	"context"
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

	"esenzioni/domain/access"
	"esenzioni/internal/apptest"
)

// TestCodecEndpoint: the Temporal UI decodes payloads through the app, and
// only a regional administrator's session may.
func TestCodecEndpoint(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("admin.codec", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))
	opCodec := e.Operator("op.codec", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))

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
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		resp, err = c.PostForm(e.URL+"/login", url.Values{"username": {user}, "password": {apptest.Password}, "pin": {apptest.PIN}})
		require.NoError(t, err)
		resp.Body.Close()
		return c
	}

	resp, _ := decode(http.DefaultClient, "http://localhost:8233")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "anonymous")

	// A logged-in operator who is not an administrator: the payloads come
	// back as they were (still encrypted), with 200, so the Temporal UI
	// shows no error banner; one denial is audited per session, not one per
	// workflow page viewed (issue 14, point 10).
	denials := func() int {
		n, err := e.Store().DB.NewSelect().Table("audit_log").
			Where("action = 'CODEC' AND outcome = 'NEGATO' AND operator_fc = ?", opCodec.FiscalCode).Count(context.Background())
		require.NoError(t, err)
		return int(n)
	}
	opClient := login("op.codec")
	for i := 0; i < 3; i++ {
		resp, out := decode(opClient, "http://localhost:8233")
		require.Equal(t, http.StatusOK, resp.StatusCode, "an ASL operator: %s", out)
		var same commonpb.Payloads
		require.NoError(t, protojson.Unmarshal([]byte(out), &same))
		require.Equal(t, enc[0].Data, same.Payloads[0].Data, "still encrypted")
		require.NotContains(t, out, secret)
	}
	require.Equal(t, 1, denials(), "one denial per session")
	resp, _ = decode(login("op.codec"), "http://localhost:8233")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 2, denials(), "a new session is denied once more")

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
