// Package deps pins the modules the application is about to use while its
// packages are being written, so `go mod tidy` keeps them. Remove once every
// module here is imported by real code.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/emersion/go-smtp"
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-pdf/fpdf"
	_ "github.com/minio/minio-go/v7"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/smallstep/pkcs7"
	_ "github.com/stretchr/testify/require"
	_ "github.com/uptrace/bun"
	_ "github.com/uptrace/bun/dialect/pgdialect"
	_ "github.com/uptrace/bun/driver/pgdriver"
	_ "github.com/uptrace/bun/migrate"
	_ "github.com/wneessen/go-mail"
	_ "go.temporal.io/api/operatorservice/v1"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/converter"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/workflow"
	_ "golang.org/x/crypto/argon2"
)
