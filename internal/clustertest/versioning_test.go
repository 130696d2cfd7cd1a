//go:build cluster

package clustertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"esenzioni/internal/devstack"
	"esenzioni/worker"
)

// Two worker versions of one Worker Deployment against one server: a
// practice started on v1 finishes on v1 after v2 became current (pinned),
// an exemption started on v1 moves to v2 at its next task (auto-upgrade).
// The workflows are stand-ins registered with the behaviours the
// application's registration uses (worker.PracticeVersioning and
// worker.ExemptionVersioning): each answers with the version that ran it.
func TestWorkerVersioning(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/var/tmp", "esenzioni-versioning-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	defer os.RemoveAll(dir)
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(dir, "postgres"), Port: 27401, Fast: true})
	require.NoError(t, err)
	defer pg.Stop()
	cl, err := devstack.StartCluster(ctx, pg, devstack.ClusterOptions{DataDir: dir, BasePort: 27400, Histories: 1, Shards: 4, Progress: testWriter{t}})
	require.NoError(t, err)
	defer cl.Stop()
	c, err := client.Dial(client.Options{HostPort: cl.FrontendAddress(), Namespace: cl.Namespace()})
	require.NoError(t, err)
	defer c.Close()

	const deployment, tq = "esenzioni-versioning", "versioning"
	for _, v := range []string{"v1", "v2"} {
		w := sdkworker.New(c, tq, sdkworker.Options{DeploymentOptions: sdkworker.DeploymentOptions{
			UseVersioning: true, Version: sdkworker.WorkerDeploymentVersion{DeploymentName: deployment, BuildID: v}}})
		run := func(ctx workflow.Context) (string, error) {
			workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
			return v, nil // the version whose code ran the last task
		}
		w.RegisterWorkflowWithOptions(run, workflow.RegisterOptions{Name: "practice", VersioningBehavior: worker.PracticeVersioning})
		w.RegisterWorkflowWithOptions(run, workflow.RegisterOptions{Name: "exemption", VersioningBehavior: worker.ExemptionVersioning})
		require.NoError(t, w.Start())
		defer w.Stop()
	}
	h := c.WorkerDeploymentClient().GetHandle(deployment)
	setCurrent := func(v string) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, err := h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: v})
			if err == nil {
				return
			}
			require.True(t, time.Now().Before(deadline), "set current version %s: %v", v, err)
			time.Sleep(500 * time.Millisecond)
		}
	}
	setCurrent("v1")
	practice, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "pratica-versioning", TaskQueue: tq}, "practice")
	require.NoError(t, err)
	exemption, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "esenzione-versioning", TaskQueue: tq}, "exemption")
	require.NoError(t, err)
	// Both ran their first task on v1.
	for _, run := range []client.WorkflowRun{practice, exemption} {
		require.Eventually(t, func() bool {
			d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
			return err == nil && d.GetWorkflowExecutionInfo().GetVersioningInfo().GetDeploymentVersion().GetBuildId() == "v1"
		}, 60*time.Second, 200*time.Millisecond, "%s on v1", run.GetID())
	}
	setCurrent("v2")
	// The new routing reaches the task queue's partitions asynchronously:
	// wait until a new workflow starts on v2.
	probe, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "probe-versioning", TaskQueue: tq}, "exemption")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		d, err := c.DescribeWorkflowExecution(ctx, probe.GetID(), probe.GetRunID())
		return err == nil && d.GetWorkflowExecutionInfo().GetVersioningInfo().GetDeploymentVersion().GetBuildId() == "v2"
	}, 60*time.Second, 200*time.Millisecond, "new workflows on v2")
	for _, run := range []client.WorkflowRun{practice, exemption} {
		require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "go", nil))
	}
	var got string
	require.NoError(t, practice.Get(ctx, &got))
	require.Equal(t, "v1", got, "a practice stays on the version that started it")
	require.NoError(t, exemption.Get(ctx, &got))
	require.Equal(t, "v2", got, "an exemption moves to the current version")
	t.Log("versioning: practice finished on v1 (pinned), exemption moved to v2 (auto-upgrade)")
}
