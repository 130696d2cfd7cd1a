package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"esenzioni/internal/config"
	"esenzioni/internal/demo"
	"esenzioni/internal/testpki"
	"esenzioni/internal/testsign"
)

// runSignDemo signs a file with the demo signer of `esenzioni dev`, so that
// a developer can try uploads: OUT ending in .p7m gets a CAdES envelope, a
// PDF OUT a PAdES signature.
func runSignDemo(_ context.Context, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: esenzioni firma-demo IN OUT (OUT .p7m: CAdES; OUT .pdf: PAdES, IN must be a PDF)")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	dir := cfg.TrustStoreDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "truststore")
	}
	_, signer, err := demo.LoadOrCreateCA(dir)
	if err != nil {
		return err
	}
	in, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var out []byte
	if strings.HasSuffix(strings.ToLower(args[1]), ".p7m") {
		out, err = testpki.SignCAdES(in, signer)
	} else {
		out, err = testsign.SignPAdES(in, signer)
	}
	if err != nil {
		return fmt.Errorf("sign %s: %w", args[0], err)
	}
	if err := os.WriteFile(args[1], out, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s signed by the demo signer (trusted by `esenzioni dev`): %s\n", args[0], args[1])
	return nil
}
