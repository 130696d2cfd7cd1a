package config

import (
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.WorkflowCacheSize != 2000 || c.MaxUploadBytes != 20<<20 || c.TaskQueue != "esenzioni" {
		t.Fatalf("defaults: cache %d, upload %d, queue %q", c.WorkflowCacheSize, c.MaxUploadBytes, c.TaskQueue)
	}
}

func TestLoadRefusesBadNumbers(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"TEMPORAL_WORKFLOW_CACHE_SIZE", "0", "TEMPORAL_WORKFLOW_CACHE_SIZE"},
		{"TEMPORAL_WORKFLOW_CACHE_SIZE", "molti", "TEMPORAL_WORKFLOW_CACHE_SIZE"},
		{"MAX_UPLOAD_BYTES", "-1", "MAX_UPLOAD_BYTES"},
		{"REMINDER_OFFSETS", "30x", "REMINDER_OFFSETS"},
	} {
		_, err := load(env(map[string]string{tc.key: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: error %v, want one naming %s", tc.key, tc.value, err, tc.want)
		}
	}
	c, err := load(env(map[string]string{"TEMPORAL_WORKFLOW_CACHE_SIZE": "5000"}))
	if err != nil || c.WorkflowCacheSize != 5000 {
		t.Fatalf("cache size 5000: %d, %v", c.WorkflowCacheSize, err)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(env(nil))
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v, %v; want none trusted", c.TrustedProxies, err)
	}
	c, err = load(env(map[string]string{"TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.10 ,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.TrustedProxies, ","); got != "10.0.0.0/8,192.168.1.10/32,::1/128" {
		t.Fatalf("parsed %s", got)
	}
	for _, bad := range []string{"proxy.example", "10.0.0.0/33", "1.2.3"} {
		if _, err := load(env(map[string]string{"TRUSTED_PROXIES": bad})); err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestList(t *testing.T) {
	for in, want := range map[string]string{"": "", " , ,": "", "a": "a", " a , b,,c ": "a|b|c"} {
		if got := strings.Join(List(in), "|"); got != want {
			t.Errorf("List(%q) = %q, want %q", in, got, want)
		}
	}
}
