package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
)

// componentHealth is one dependency's state in /healthz. Why a component
// is down goes to the log, not to the (unauthenticated) answer: its error
// text names hosts, ports and users.
type componentHealth struct {
	Status    string `json:"status"` // "up" or "down"
	LatencyMS int64  `json:"latencyMs"`
}

// health checks PostgreSQL, Temporal and S3 in parallel and answers 200
// only when all are up.
func (s *Server) health(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]func(context.Context) error{
		"postgres": func(ctx context.Context) error { return s.Store.Ping(ctx) },
		"temporal": func(ctx context.Context) error {
			_, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
		"s3": func(ctx context.Context) error {
			_, err := s.S3.BucketExists(ctx, s.Config.S3Bucket)
			return err
		},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[string]componentHealth{}
	for name, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := check(ctx)
			h := componentHealth{Status: "up", LatencyMS: time.Since(start).Milliseconds()}
			if err != nil {
				h.Status = "down"
				s.Log.Warn("health: component down", "component", name, "error", err)
			}
			mu.Lock()
			out[name] = h
			mu.Unlock()
		}()
	}
	wg.Wait()
	status, code := "up", http.StatusOK
	for _, h := range out {
		if h.Status != "up" {
			status, code = "down", http.StatusServiceUnavailable
		}
	}
	c.JSON(code, gin.H{"status": status, "components": out})
}
