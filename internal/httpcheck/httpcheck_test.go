package httpcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGet(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	ctx := context.Background()
	require.NoError(t, Get(ctx, srv.URL, OK))
	status = http.StatusServiceUnavailable
	require.EqualError(t, Get(ctx, srv.URL, OK), srv.URL+" answered 503 Service Unavailable")
	status = http.StatusNotFound
	require.Error(t, Get(ctx, srv.URL, OK))
	require.NoError(t, Get(ctx, srv.URL, func(code int) bool { return code < 500 }))
	srv.Close()
	require.Error(t, Get(ctx, srv.URL, func(int) bool { return true }), "nothing listening")
}
