// Package httpcheck asks an HTTP endpoint whether it is up, for
// `esenzioni healthcheck` (the containers' probes) and for the readiness
// waits of the development stacks.
package httpcheck

import (
	"context"
	"fmt"
	"net/http"
)

// Get GETs url and discards the body; it fails with "<url> answered
// <status>" unless ok accepts the status code.
func Get(ctx context.Context, url string, ok func(code int) bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if !ok(resp.StatusCode) {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

// OK accepts 200 only, the answer of a ready health endpoint.
func OK(code int) bool { return code == http.StatusOK }
