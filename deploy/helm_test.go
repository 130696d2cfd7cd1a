package deploy

// The Helm chart in helm/esenzioni, validated offline: `helm lint`, then
// `helm template` with each ci/*-values.yaml, and every rendered object
// decoded strictly (unknown or duplicate fields refused) into its
// Kubernetes API type, then checked for the references between objects that
// the API server would only find at run time (selectors, ports, Secrets,
// ConfigMaps, volumes) and for the application's own configuration parser.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"esenzioni/internal/config"
)

const chartDir = "helm/esenzioni"

// tool finds a binary built by scripts/build-tools.sh (or named by the
// environment variable env). Without it the test skips, except in CI.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(t), ".tools", "bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found at %s (scripts/build-tools.sh builds it)", name, p)
		}
		t.Skipf("%s not built (scripts/build-tools.sh %s)", name, name)
	}
	return p
}

func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(tool(t, "HELM", "helm"), args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// rendered is a chart rendering decoded into typed objects.
type rendered struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	accounts    map[string]*corev1.ServiceAccount
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	jobs        map[string]*batchv1.Job
	ingresses   map[string]*networkingv1.Ingress
	metas       []metav1.ObjectMeta
}

// decodeManifests decodes a multi-document YAML stream strictly.
func decodeManifests(t *testing.T, stream string) *rendered {
	t.Helper()
	r := &rendered{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		accounts: map[string]*corev1.ServiceAccount{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, jobs: map[string]*batchv1.Job{},
		ingresses: map[string]*networkingv1.Ingress{},
	}
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(stream, -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		var obj interface{ GetObjectMeta() metav1.Object }
		gvk := tm.APIVersion + "/" + tm.Kind
		switch gvk {
		case "apps/v1/Deployment":
			o := &appsv1.Deployment{}
			obj = o
			defer func() { r.deployments[o.Name] = o }()
		case "v1/Service":
			o := &corev1.Service{}
			obj = o
			defer func() { r.services[o.Name] = o }()
		case "v1/ConfigMap":
			o := &corev1.ConfigMap{}
			obj = o
			defer func() { r.configMaps[o.Name] = o }()
		case "v1/Secret":
			o := &corev1.Secret{}
			obj = o
			defer func() { r.secrets[o.Name] = o }()
		case "v1/ServiceAccount":
			o := &corev1.ServiceAccount{}
			obj = o
			defer func() { r.accounts[o.Name] = o }()
		case "autoscaling/v2/HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			obj = o
			defer func() { r.hpas[o.Name] = o }()
		case "policy/v1/PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			obj = o
			defer func() { r.pdbs[o.Name] = o }()
		case "batch/v1/Job":
			o := &batchv1.Job{}
			obj = o
			defer func() { r.jobs[o.Name] = o }()
		case "networking.k8s.io/v1/Ingress":
			o := &networkingv1.Ingress{}
			obj = o
			defer func() { r.ingresses[o.Name] = o }()
		default:
			t.Fatalf("document %d: unexpected kind %s (add it to the test)", i, gvk)
		}
		// Strict: a misspelt or misplaced field, or a key given twice, fails.
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s: strict decoding: %v\n%s", gvk, err, doc)
		}
		m := obj.GetObjectMeta()
		r.metas = append(r.metas, metav1.ObjectMeta{Name: m.GetName(), Labels: m.GetLabels(), Annotations: m.GetAnnotations()})
		for _, msg := range validation.IsDNS1123Subdomain(m.GetName()) {
			t.Errorf("%s %q: name: %s", tm.Kind, m.GetName(), msg)
		}
		if m.GetNamespace() != "" {
			t.Errorf("%s %q: hard-coded namespace %q", tm.Kind, m.GetName(), m.GetNamespace())
		}
	}
	return r
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func render(t *testing.T, values ...string) *rendered {
	t.Helper()
	args := []string{"template", "esenzioni", filepath.Join(repoRoot(t), "deploy", chartDir), "--namespace", "esenzioni"}
	for _, v := range values {
		args = append(args, "-f", filepath.Join(repoRoot(t), "deploy", chartDir, "ci", v))
	}
	out, err := helm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return decodeManifests(t, out)
}

func TestHelmLint(t *testing.T) {
	out, err := helm(t, "lint", "--strict", filepath.Join(repoRoot(t), "deploy", chartDir),
		"-f", filepath.Join(repoRoot(t), "deploy", chartDir, "ci", "test-values.yaml"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// Without credentials the chart refuses to render, naming the value.
func TestHelmRequiresSecrets(t *testing.T) {
	_, err := helm(t, "template", "esenzioni", filepath.Join(repoRoot(t), "deploy", chartDir))
	if err == nil || !strings.Contains(err.Error(), "secrets.databaseURL is required") {
		t.Fatalf("rendering without secrets: %v, want a 'secrets.databaseURL is required' error", err)
	}
	_, err = helm(t, "template", "esenzioni", filepath.Join(repoRoot(t), "deploy", chartDir), "--set", "secrets.create=false")
	if err == nil || !strings.Contains(err.Error(), "secrets.existingSecret is required") {
		t.Fatalf("rendering without a Secret: %v, want a 'secrets.existingSecret is required' error", err)
	}
}

func TestHelmDefault(t *testing.T) {
	r := render(t, "test-values.yaml")
	checkRendering(t, r)
	web, worker := r.deployments["esenzioni-web"], r.deployments["esenzioni-worker"]
	if web == nil || worker == nil {
		t.Fatalf("deployments %v, want esenzioni-web and esenzioni-worker", keys(r.deployments))
	}
	// Autoscaled: the HPA owns the replica count.
	if web.Spec.Replicas != nil || worker.Spec.Replicas != nil {
		t.Error("an autoscaled Deployment must not set replicas (every upgrade would reset the HPA's count)")
	}
	if hpa := r.hpas["esenzioni-web"]; hpa == nil || !hasCPUMetric(hpa) {
		t.Error("web: no HorizontalPodAutoscaler on CPU")
	}
	hpa := r.hpas["esenzioni-worker"]
	if hpa == nil {
		t.Fatal("worker: no HorizontalPodAutoscaler")
	}
	var backlog *autoscalingv2.ExternalMetricSource
	for _, m := range hpa.Spec.Metrics {
		if m.Type == autoscalingv2.ExternalMetricSourceType {
			backlog = m.External
		}
	}
	if backlog == nil || !strings.Contains(backlog.Metric.Name, "backlog") ||
		backlog.Metric.Selector == nil || backlog.Metric.Selector.MatchLabels["taskqueue"] != "esenzioni" ||
		backlog.Target.Type != autoscalingv2.AverageValueMetricType || backlog.Target.AverageValue == nil {
		t.Errorf("worker HPA: want an External backlog metric of task queue esenzioni, averaged per pod; got %+v", backlog)
	}
	for _, name := range []string{"esenzioni-web", "esenzioni-worker"} {
		if h := r.hpas[name]; h != nil && (h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2) {
			t.Errorf("%s: HPA minReplicas below 2: one pod is no replica", name)
		}
	}
	// The chart makes its Secret; nothing in it is empty.
	s := r.secrets["esenzioni"]
	if s == nil {
		t.Fatal("the chart's Secret is missing")
	}
	for k, v := range s.StringData {
		if v == "" {
			t.Errorf("Secret key %s is empty", k)
		}
	}
	if len(r.ingresses) != 0 {
		t.Error("an Ingress is rendered although web.ingress.enabled is false")
	}
}

func TestHelmProduction(t *testing.T) {
	r := render(t, "production-values.yaml")
	checkRendering(t, r)
	if len(r.secrets) != 0 {
		t.Errorf("secrets.create=false still renders %v", keys(r.secrets))
	}
	worker := r.deployments["esenzioni-worker"]
	if worker == nil || worker.Spec.Replicas == nil || *worker.Spec.Replicas != 4 {
		t.Errorf("worker without autoscaling: want 4 replicas")
	}
	if _, ok := r.hpas["esenzioni-worker"]; ok {
		t.Error("worker.autoscaling.enabled=false still renders its HPA")
	}
	// Worker Versioning: the build ID is the image tag.
	if env := envMap(worker.Spec.Template.Spec.Containers[0]); env["TEMPORAL_BUILD_ID"] != "1.4.2" || env["TEMPORAL_DEPLOYMENT_NAME"] != "esenzioni" {
		t.Errorf("worker: versioning env %v, want build ID 1.4.2 of deployment esenzioni", env)
	}
	for _, d := range r.deployments {
		c := d.Spec.Template.Spec.Containers[0]
		if env := envMap(c); env["TEMPORAL_TLS_CERT"] == "" || env["TEMPORAL_TLS_SERVER_NAME"] != "temporal-frontend.temporal.svc" ||
			env["TRUST_STORE_DIR"] == "" || env["TEMPORAL_TOKEN_FILE"] == "" {
			t.Errorf("%s: TLS towards Temporal or the trust store not configured: %v", d.Name, env)
		}
		if !strings.HasSuffix(c.Image, ":1.4.2") {
			t.Errorf("%s: image %s, want tag 1.4.2", d.Name, c.Image)
		}
	}
	ing := r.ingresses["esenzioni-web"]
	if ing == nil || len(ing.Spec.TLS) != 1 || ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name != "esenzioni-web" {
		t.Errorf("ingress: %+v", ing)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func hasCPUMetric(h *autoscalingv2.HorizontalPodAutoscaler) bool {
	for _, m := range h.Spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource.Name == corev1.ResourceCPU &&
			m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && m.Resource.Target.AverageUtilization != nil {
			return true
		}
	}
	return false
}

func envMap(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		out[e.Name] = e.Value
		if e.ValueFrom != nil {
			out[e.Name] = "(from)"
		}
	}
	return out
}

// checkRendering checks every reference between the rendered objects.
func checkRendering(t *testing.T, r *rendered) {
	t.Helper()
	for _, m := range r.metas {
		for k, v := range m.Labels {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("%s: label %s=%s: %s", m.Name, k, v, msg)
			}
		}
	}
	if len(r.deployments) != 2 {
		t.Errorf("deployments %v, want web and worker", keys(r.deployments))
	}
	pods := map[string]corev1.PodTemplateSpec{}
	for name, d := range r.deployments {
		pods["Deployment "+name] = d.Spec.Template
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: selector %v does not select its own pods %v", name, d.Spec.Selector, d.Spec.Template.Labels)
		}
		for other, o := range r.deployments {
			if other != name && sel.Matches(labels.Set(o.Spec.Template.Labels)) {
				t.Errorf("Deployment %s also selects the pods of %s", name, other)
			}
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("Deployment %s: readiness probe must GET /healthz", name)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.StartupProbe == nil {
			t.Errorf("Deployment %s: liveness and startup probes missing", name)
		}
		for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && !containerPort(c, p.HTTPGet.Port.String()) {
				t.Errorf("Deployment %s: probe port %s is not a container port", name, p.HTTPGet.Port.String())
			}
		}
		if !containerPort(c, "metrics") || d.Spec.Template.Annotations["prometheus.io/port"] == "" {
			t.Errorf("Deployment %s: no metrics port to scrape", name)
		}
		if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable == nil ||
			d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
			t.Errorf("Deployment %s: a rolling update must keep every pod until its successor is ready (maxUnavailable 0)", name)
		}
		if len(c.Args) != 1 || "esenzioni-"+c.Args[0] != name {
			t.Errorf("Deployment %s runs %v", name, c.Args)
		}
	}
	for name, j := range r.jobs {
		pods["Job "+name] = j.Spec.Template
		if j.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" {
			t.Errorf("Job %s: not a pre-install,pre-upgrade hook", name)
		}
		if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("Job %s: restartPolicy %s", name, j.Spec.Template.Spec.RestartPolicy)
		}
		script := strings.Join(append(j.Spec.Template.Spec.Containers[0].Command, j.Spec.Template.Spec.Containers[0].Args...), " ")
		if !strings.Contains(script, "/esenzioni migrate") {
			t.Errorf("Job %s does not migrate: %s", name, script)
		}
		// Everything the hook needs must exist before it: a hook itself, of
		// a lower weight, or kept outside the chart.
		for _, dep := range podDependencies(j.Spec.Template) {
			if m, ok := r.meta(dep); ok {
				if !strings.Contains(m.Annotations["helm.sh/hook"], "pre-install") || weight(m.Annotations) >= weight(j.Annotations) {
					t.Errorf("Job %s uses %s, which is not created before it (hook with a lower weight)", name, dep)
				}
			}
		}
	}
	if len(r.jobs) != 1 {
		t.Errorf("jobs %v, want the migration", keys(r.jobs))
	}
	for where, p := range pods {
		checkPod(t, r, where, p)
	}
	for name, s := range r.services {
		sel := labels.SelectorFromSet(s.Spec.Selector)
		var matched []corev1.PodTemplateSpec
		for _, d := range r.deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = append(matched, d.Spec.Template)
			}
		}
		if len(s.Spec.Selector) == 0 || len(matched) != 1 {
			t.Errorf("Service %s selects %d deployments' pods, want 1", name, len(matched))
			continue
		}
		for _, port := range s.Spec.Ports {
			if !containerPort(matched[0].Spec.Containers[0], port.TargetPort.String()) {
				t.Errorf("Service %s: targetPort %s is not a port of its pods", name, port.TargetPort.String())
			}
		}
	}
	for name, h := range r.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || r.deployments[ref.Name] == nil {
			t.Errorf("HPA %s scales %s/%s %s, which is not rendered", name, ref.APIVersion, ref.Kind, ref.Name)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas > h.Spec.MaxReplicas || len(h.Spec.Metrics) == 0 {
			t.Errorf("HPA %s: min/max replicas or metrics wrong", name)
		}
		if d := r.deployments[ref.Name]; d != nil {
			for _, m := range h.Spec.Metrics {
				if m.Type == autoscalingv2.ResourceMetricSourceType {
					if _, ok := d.Spec.Template.Spec.Containers[0].Resources.Requests[m.Resource.Name]; !ok {
						t.Errorf("HPA %s scales on %s, but the pods request none", name, m.Resource.Name)
					}
				}
			}
		}
	}
	for name, pdb := range r.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		n := 0
		for _, d := range r.deployments {
			if err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				n++
				replicas := int32(1)
				if d.Spec.Replicas != nil {
					replicas = *d.Spec.Replicas
				} else if h := r.hpas[d.Name]; h != nil && h.Spec.MinReplicas != nil {
					replicas = *h.Spec.MinReplicas
				}
				if pdb.Spec.MinAvailable == nil || int32(pdb.Spec.MinAvailable.IntValue()) >= replicas {
					t.Errorf("PodDisruptionBudget %s: minAvailable %v leaves no pod of %s (%d replicas) evictable: node drains would block", name, pdb.Spec.MinAvailable, d.Name, replicas)
				}
			}
		}
		if n != 1 {
			t.Errorf("PodDisruptionBudget %s selects %d deployments, want 1", name, n)
		}
	}
	for _, d := range r.deployments {
		found := false
		for _, pdb := range r.pdbs {
			sel, _ := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			found = found || sel.Matches(labels.Set(d.Spec.Template.Labels))
		}
		if !found {
			t.Errorf("Deployment %s has no PodDisruptionBudget", d.Name)
		}
	}
	for name, ing := range r.ingresses {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				if r.services[p.Backend.Service.Name] == nil {
					t.Errorf("Ingress %s routes to missing Service %s", name, p.Backend.Service.Name)
				}
			}
		}
	}
}

func weight(annotations map[string]string) int {
	w, _ := strconv.Atoi(annotations["helm.sh/hook-weight"])
	return w
}

func (r *rendered) meta(ref string) (metav1.ObjectMeta, bool) {
	kind, name, _ := strings.Cut(ref, "/")
	var o metav1.Object
	switch kind {
	case "ConfigMap":
		if c := r.configMaps[name]; c != nil {
			o = c
		}
	case "Secret":
		if s := r.secrets[name]; s != nil {
			o = s
		}
	case "ServiceAccount":
		if a := r.accounts[name]; a != nil {
			o = a
		}
	}
	if o == nil {
		return metav1.ObjectMeta{}, false
	}
	return metav1.ObjectMeta{Name: o.GetName(), Annotations: o.GetAnnotations()}, true
}

// podDependencies lists the objects a pod needs, as Kind/name.
func podDependencies(p corev1.PodTemplateSpec) []string {
	var out []string
	if p.Spec.ServiceAccountName != "" {
		out = append(out, "ServiceAccount/"+p.Spec.ServiceAccountName)
	}
	for _, c := range p.Spec.Containers {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				out = append(out, "ConfigMap/"+e.ConfigMapRef.Name)
			}
			if e.SecretRef != nil {
				out = append(out, "Secret/"+e.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				out = append(out, "Secret/"+e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func containerPort(c corev1.Container, port string) bool {
	for _, p := range c.Ports {
		if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

// checkPod checks a pod template: security, resources, volumes, and that its
// environment, assembled from the rendered ConfigMap and Secret, is one the
// application accepts.
func checkPod(t *testing.T, r *rendered, where string, p corev1.PodTemplateSpec) {
	t.Helper()
	spec := p.Spec
	if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: pods must run as non-root", where)
	}
	if a := r.accounts[spec.ServiceAccountName]; a == nil && spec.ServiceAccountName != "" {
		t.Errorf("%s: service account %s is not rendered", where, spec.ServiceAccountName)
	} else if a != nil && (a.AutomountServiceAccountToken == nil || *a.AutomountServiceAccountToken) {
		t.Errorf("%s: the application needs no Kubernetes API token", where)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	for _, c := range spec.Containers {
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s/%s: CPU and memory requests and a memory limit are required", where, c.Name)
		}
		if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s/%s: container security context too loose", where, c.Name)
		}
		if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
			t.Errorf("%s/%s: image %s is not pinned", where, c.Name, c.Image)
		}
		for _, m := range c.VolumeMounts {
			v, ok := volumes[m.Name]
			if !ok {
				t.Errorf("%s/%s: mounts undeclared volume %s", where, c.Name, m.Name)
			}
			if v.Secret != nil && !m.ReadOnly {
				t.Errorf("%s/%s: Secret volume %s mounted writable", where, c.Name, m.Name)
			}
		}
		// The environment as the container sees it.
		env := map[string]string{}
		seen := map[string]bool{}
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				cm := r.configMaps[e.ConfigMapRef.Name]
				if cm == nil {
					t.Errorf("%s/%s: ConfigMap %s is not rendered", where, c.Name, e.ConfigMapRef.Name)
					continue
				}
				for k, v := range cm.Data {
					env[k] = v
				}
			}
		}
		for _, e := range c.Env {
			if seen[e.Name] {
				t.Errorf("%s/%s: environment variable %s set twice", where, c.Name, e.Name)
			}
			seen[e.Name] = true
			switch {
			case e.ValueFrom == nil:
				env[e.Name] = e.Value
			case e.ValueFrom.SecretKeyRef != nil:
				ref := e.ValueFrom.SecretKeyRef
				if s := r.secrets[ref.Name]; s != nil {
					v, ok := s.StringData[ref.Key]
					if !ok {
						t.Errorf("%s/%s: %s reads key %s, absent from Secret %s", where, c.Name, e.Name, ref.Key, ref.Name)
					}
					env[e.Name] = v
				} else if len(r.secrets) > 0 {
					t.Errorf("%s/%s: %s reads Secret %s, which is not rendered", where, c.Name, e.Name, ref.Name)
				} else {
					env[e.Name] = placeholder(e.Name)
				}
			default:
				t.Errorf("%s/%s: %s: unexpected valueFrom", where, c.Name, e.Name)
			}
		}
		for _, key := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "S3_ENDPOINT", "ESENZIONI_CODEC_KEY", "METRICS_ADDR", "PUBLIC_URL"} {
			if env[key] == "" {
				t.Errorf("%s/%s: %s is not set", where, c.Name, key)
			}
		}
		for _, key := range []string{"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA", "TRUST_STORE_DIR", "TEMPORAL_TOKEN_FILE"} {
			if path := env[key]; path != "" && !mountedAt(c, path) {
				t.Errorf("%s/%s: %s=%s is on no mounted volume", where, c.Name, key, path)
			}
		}
		if env["ESENZIONI_DEMO_DATA"] != "false" {
			t.Errorf("%s/%s: demo data enabled", where, c.Name)
		}
		// The application's own parser accepts the environment.
		getenv := func(k string) string { return env[k] }
		if _, err := config.LoadFrom(getenv); err != nil {
			t.Errorf("%s/%s: the application refuses this environment: %v", where, c.Name, err)
		}
	}
}

func placeholder(name string) string {
	switch name {
	case "ESENZIONI_CODEC_KEY":
		return "ZXNlbnppb25pLWRldi1rZXktbm90LWZvci1wcm9kISE="
	case "DATABASE_URL":
		return "postgres://u:p@db:5432/esenzioni"
	}
	return "from-existing-secret"
}

func mountedAt(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if path == m.MountPath || strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/") {
			return true
		}
	}
	return false
}
