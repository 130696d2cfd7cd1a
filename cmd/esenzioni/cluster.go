package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/internal/demo"
	"esenzioni/internal/devstack"
	"esenzioni/workflows/searchattr"
)

// runCluster runs the production form of the system on this machine: the
// Temporal server built from the module proxy as separate frontend, history
// (two), matching and worker processes on PostgreSQL persistence and
// visibility (schemas set up by temporal-sql-tool), two `esenzioni web` and
// two `esenzioni worker` processes, MinIO, and the Temporal UI pointed at
// the frontend. Data in ESENZIONI_DATA_DIR/cluster; Ctrl-C stops everything.
func runCluster(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	webs := fs.Int("webs", 2, "web processes")
	workers := fs.Int("workers", 2, "worker processes")
	histories := fs.Int("histories", 2, "Temporal history processes")
	insecure := fs.Bool("insecure", false, "no mTLS and no JWT authorizer (the Temporal UI works without an identity provider)")
	cfg, exe, err := parseTool(fs, args)
	if err != nil {
		return err
	}
	base, err := envPort("ESENZIONI_CLUSTER_PORT", 17200)
	if err != nil {
		return err
	}
	start := time.Now()
	p, err := devstack.StartProduction(ctx, devstack.ProductionOptions{
		Binary: exe, DataDir: filepath.Join(cfg.DataDir, "cluster"), BasePort: base,
		Webs: *webs, Workers: *workers, Histories: *histories, Progress: os.Stderr,
		RegisterSearchAttributes: registerSearchAttributes, Insecure: *insecure,
		OIDCUsers: clusterOIDCUsers("esenzioni"),
	})
	if err != nil {
		return err
	}
	defer p.Stop()
	fmt.Printf("\n  Esenzioni per patologia, production form (ready in %.0fs)\n\n", time.Since(start).Seconds())
	for i, u := range p.WebURLs {
		fmt.Printf("  Application %d    %s\n", i+1, u)
	}
	fmt.Printf("  Temporal         %s (namespace %s): %v\n", p.Cluster.FrontendAddress(), p.Cluster.Namespace(), p.Cluster.Services())
	if p.UIURL != "" {
		fmt.Printf("  Temporal UI      %s\n", p.UIURL)
		if p.OIDC != nil {
			fmt.Printf("                   login at %s: supervisors %s and the administrator may work in it\n",
				p.OIDC.Issuer("spid"), strings.Join(devstack.Supervisors, ", "))
		}
	}
	var names []string
	for n := range p.MetricsURLs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("  Metrics %-8s %s/metrics\n", n, p.MetricsURLs[n])
	}
	for _, s := range p.Cluster.Services() {
		fmt.Printf("  Server metrics   %-10s http://%s/metrics\n", s, p.Cluster.MetricsAddress(s))
	}
	if sec := p.Cluster.Security(); sec != nil {
		fmt.Printf("\n  mTLS and JWT authorizer on. Supervisors (tokens in %s):\n", sec.Dir)
		fmt.Printf("    temporal workflow list --address %s --namespace %s --tls-ca-path %s \\\n", p.Cluster.FrontendAddress(), p.Cluster.Namespace(), sec.CA())
		fmt.Printf("      --tls-cert-path %s --tls-key-path %s \\\n", sec.ClientCert(devstack.Supervisors[0]), sec.ClientKey(devstack.Supervisors[0]))
		fmt.Printf("      --tls-server-name %s --api-key \"$(cat %s)\"\n", devstack.FrontendServerName, sec.Token(devstack.Supervisors[0]))
	}
	fmt.Printf("\n  Logs and data in %s · Ctrl-C stops everything\n\n", filepath.Join(cfg.DataDir, "cluster"))
	<-ctx.Done()
	return nil
}

// registerSearchAttributes adds the application's search attributes to a
// namespace of the cluster.
func registerSearchAttributes(ctx context.Context, opts client.Options) error {
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	return searchattr.Register(ctx, c, opts.Namespace)
}

// clusterOIDCUsers are the people of the cluster's local identity provider:
// the demo operators and the person without an account (no Temporal
// permissions: the Temporal UI's calls are refused for them), the two named
// supervisors and the demo administrator: write on the namespace (list,
// start, signal, update its workflows) and read on the cluster, which the
// Temporal UI needs to list the namespaces when it loads. A production
// identity provider must issue the same "permissions" claim to the Temporal
// UI's client (README, "Temporal security").
func clusterOIDCUsers(namespace string) []devstack.OIDCUser {
	perms := []string{namespace + ":write", "temporal-system:read"}
	var users []devstack.OIDCUser
	for _, id := range append(demo.Identities(), demo.NoAccount()) {
		u := devstack.OIDCUser{FiscalCode: id.FiscalCode, GivenName: id.GivenName, FamilyName: id.FamilyName, Description: id.Description}
		if id.Username == "amministratore" {
			u.Permissions = perms
			u.Description += " · Temporal: " + strings.Join(u.Permissions, ", ")
		}
		users = append(users, u)
	}
	torino, _ := places.Default().Find("TORINO", "TO")
	for _, s := range []struct {
		username, last, first string
		birth                 time.Time
		sex                   byte
	}{
		{devstack.Supervisors[0], "ROSSI", "MARIO", time.Date(1968, 5, 17, 0, 0, 0, 0, time.UTC), 'M'},
		{devstack.Supervisors[1], "BIANCHI", "ANNA", time.Date(1979, 11, 3, 0, 0, 0, 0, time.UTC), 'F'},
	} {
		users = append(users, devstack.OIDCUser{FiscalCode: fiscalcode.Generate(s.last, s.first, s.birth, s.sex, torino.Code),
			GivenName: s.first, FamilyName: s.last, Description: s.username + " · Temporal: " + strings.Join(perms, ", "), Permissions: perms})
	}
	return users
}
