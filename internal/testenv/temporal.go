package testenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"esenzioni/workflows/searchattr"
)

// Namespace creates a Temporal namespace for t with the application's search
// attributes and returns its name. Namespaces are never deleted: the dev
// server of a test run is in memory and goes away with the run.
func Namespace(t testing.TB) string {
	t.Helper()
	e := Load(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: e.TemporalAddress, Logger: nopLogger{}})
	if err != nil {
		t.Fatalf("temporal: %v", err)
	}
	defer c.Close()
	ns := "t-" + sanitize(t.Name()) + "-" + randomHex(4)
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        ns,
		WorkflowExecutionRetentionPeriod: durationpb.New(30 * 24 * time.Hour), // as the application requires
	})
	if err != nil {
		t.Fatalf("temporal: register namespace: %v", err)
	}
	// The frontend learns about new namespaces from a cache refreshed every
	// few seconds; wait until it accepts calls for this one.
	for {
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
		if err == nil {
			break
		}
		var nf *serviceerror.NamespaceNotFound
		if ctx.Err() != nil || !errors.As(err, &nf) {
			t.Fatalf("temporal: namespace %s not ready: %v", ns, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := searchattr.Register(ctx, c, ns); err != nil {
		t.Fatal(err)
	}
	return ns
}

// Client dials the test Temporal server in namespace with opts (its HostPort
// and Namespace are filled in), closed when the test ends.
func Client(t testing.TB, namespace string, opts client.Options) client.Client {
	t.Helper()
	e := Load(t)
	opts.HostPort = e.TemporalAddress
	opts.Namespace = namespace
	if opts.Logger == nil {
		opts.Logger = nopLogger{}
	}
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatalf("temporal: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// S3 returns a client of the test MinIO and the name of a fresh bucket.
func S3(t testing.TB) (*minio.Client, string) {
	t.Helper()
	e := Load(t)
	mc, err := minio.New(e.S3Endpoint, &minio.Options{Creds: credentials.NewStaticV4(e.S3AccessKey, e.S3SecretKey, "")})
	if err != nil {
		t.Fatalf("s3: %v", err)
	}
	bucket := "t-" + randomHex(6)
	return mc, bucket
}

type nopLogger struct{}

func (nopLogger) Debug(string, ...interface{}) {}
func (nopLogger) Info(string, ...interface{})  {}
func (nopLogger) Warn(string, ...interface{})  {}
func (nopLogger) Error(string, ...interface{}) {}
