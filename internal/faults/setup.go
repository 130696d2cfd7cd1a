package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	tclient "go.temporal.io/sdk/client"

	"esenzioni/adapters/auth"
	"esenzioni/adapters/codec"
	"esenzioni/adapters/signature"
	"esenzioni/domain/access"
	"esenzioni/domain/exemptioncode"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/domain/practice"
	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/internal/demo"
	"esenzioni/internal/testsign"
	"esenzioni/store"
	"esenzioni/workflows"
)

// The ASL every practice of the run belongs to (TO3), and its operators'
// location.
const (
	runASL      = "010203"
	runLocation = "DISTRETTO AREA M CENTRO"
	password    = "Guasti2026!"
	pin         = "654321"
)

// operatorAccount is one client's login.
type operatorAccount struct {
	Username string
	ID       int64
	FC       string
}

// prepare loads what the run needs into the fresh database: migrations,
// the catalogue, one operator per client, an API client with its token,
// the demo CA (trusted by the web processes) and a document it signed.
func (h *harness) prepare(ctx context.Context) error {
	owner, err := store.Open(ctx, h.c.ownerURL(), store.OpenOptions{AppName: "esenzioni-faults", Maintenance: true})
	if err != nil {
		return err
	}
	h.db = owner
	h.st = store.New(owner)
	// The binary under test migrates its own schema and loads its own
	// catalogue (it may be another release than this one).
	for _, args := range [][]string{{"migrate"}, {"import", "catalog"}} {
		cmd := exec.CommandContext(ctx, h.c.bin, args...)
		cmd.Env = h.c.appEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("esenzioni %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	reg := places.Default()
	torino, ok := reg.Find("TORINO", "TO")
	if !ok {
		return fmt.Errorf("places: Torino not found")
	}
	h.birthPlace = torino.Code
	pw, pn, err := auth.HashCredentials(password, pin)
	if err != nil {
		return err
	}
	for i := 0; i < h.opts.Clients; i++ {
		fc := fiscalcode.Generate("GUASTI", fmt.Sprintf("OPERATORE%c", 'A'+rune(i%26)),
			time.Date(1970+i%30, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), 'F', torino.Code)
		asl := runASL
		op := &store.Operator{Username: fmt.Sprintf("guasti.op%d", i+1), FiscalCode: fc, FirstName: "OPERATORE",
			LastName: "GUASTI", Email: fmt.Sprintf("guasti.op%d@asl.example.com", i+1), PasswordHash: pw, PINHash: pn, Active: true}
		if err := h.st.CreateOperator(ctx, op, []store.OperatorProfile{{Role: string(access.OperatoreASL), ASLCode: &asl, Location: runLocation}}); err != nil {
			return err
		}
		h.ops = append(h.ops, &operatorAccount{Username: op.Username, ID: op.ID, FC: fc})
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	h.apiToken = "guasti-" + hex.EncodeToString(tok)
	cl := &store.APIClient{Name: "guasti-portale", TokenHash: auth.Digest(h.apiToken),
		SubmitterKinds: []string{string(practice.SubmitterCitizen), string(practice.SubmitterDelegate)}}
	if err := h.st.UpsertAPIClient(ctx, cl); err != nil {
		return err
	}
	h.apiClientID = cl.ID
	links, err := h.st.DiagnosisLinksWithServices(ctx)
	if err != nil {
		return err
	}
	// The pairs intake accepts: a code of a valid format (the catalogue
	// also lists codes the validator refuses) that is active.
	codes := exemptioncode.New("93A")
	for _, l := range links {
		if _, err := codes.Parse(l.ExemptionCode); err != nil {
			continue
		}
		if info, err := h.st.ExemptionCode(ctx, l.ExemptionCode); err != nil || !info.Active {
			continue
		}
		h.links = append(h.links, l)
	}
	if len(h.links) == 0 {
		return fmt.Errorf("catalogue: no diagnosis with exempt services")
	}
	h.c.trustDir = filepath.Join(h.c.dir, "truststore")
	_, signer, err := demo.LoadOrCreateCA(h.c.trustDir)
	if err != nil {
		return err
	}
	if h.signed, err = testsign.SignPAdES(signature.MinimalPDF("Referto specialistico (prova di guasti)"), signer); err != nil {
		return err
	}

	// The application's own view of Temporal and S3, through the same
	// configuration code as its processes.
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	cfg.DatabaseURL, cfg.MigrateDatabaseURL = h.c.databaseURL(), h.c.ownerURL()
	cfg.TemporalAddress, cfg.S3Endpoint = h.c.temporalAddress(), h.c.s3Endpoint()
	cfg.S3AccessKey, cfg.S3SecretKey = s3AccessKey, s3SecretKey
	cfg.TrustStoreDir = h.c.trustDir
	h.cfg = cfg
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(h.logFile, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	h.app = a
	if err := a.EnsureBucket(ctx); err != nil {
		return err
	}
	if err := a.RegisterSearchAttributes(ctx); err != nil {
		return err
	}
	cd, err := codec.New(cfg.CodecKeyID, cfg.CodecKey)
	if err != nil {
		return err
	}
	h.dc = codec.Strict{Codec: cd}.DataConverter()
	h.tc = a.Temporal
	return nil
}

// reopenDB connects the checker to PostgreSQL again (after its restart).
func (h *harness) reopenDB(ctx context.Context) error {
	db, err := store.Open(ctx, h.c.ownerURL(), store.OpenOptions{AppName: "esenzioni-faults", Maintenance: true})
	if err != nil {
		return err
	}
	h.db.Close()
	h.db, h.st = db, store.New(db)
	return nil
}

// pauseReconciliation pauses the nightly reconciliation schedule (created
// by the worker at its start): it repairs divergences, and the suite must
// see them as the write path left them.
func (h *harness) pauseReconciliation(ctx context.Context) error {
	hd := h.tc.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	err := hd.Pause(ctx, tclient.SchedulePauseOptions{Note: "esenzioni faults: the checker must see divergences unrepaired"})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		h.logf("no reconciliation schedule to pause (a release without it)")
		return nil
	}
	return err
}

// freshDir makes dir an empty directory for the run. A directory left by an
// earlier run (it holds the marker) is removed; any other non-empty one is
// refused.
func freshDir(dir string) error {
	marker := filepath.Base(markerFile(dir))
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return err
	case len(entries) > 0:
		b, err := os.ReadFile(filepath.Join(dir, marker))
		if err != nil {
			return fmt.Errorf("%s is not empty and was not made by `esenzioni faults`: choose another -dir", dir)
		}
		// A cluster devstack kept elsewhere (the server user could not
		// enter dir) goes with it.
		if alt := strings.TrimSpace(string(b)); strings.HasPrefix(alt, "/var/tmp/esenzioni-postgres-") {
			if err := os.RemoveAll(alt); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the PostgreSQL user must enter it
		return err
	}
	return os.WriteFile(filepath.Join(dir, marker), nil, 0o644)
}

// markerFile names the marker of a run's directory; it holds the path of a
// PostgreSQL cluster kept outside the directory, if any.
func markerFile(dir string) string { return filepath.Join(dir, ".esenzioni-faults") }
