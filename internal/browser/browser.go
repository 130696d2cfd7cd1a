// Package browser drives Debian's Chromium (headless) for the UI tests
// through chromedp. One browser process serves a whole test package; each
// test gets its own browser context (cookies, storage), and a screenshot of
// the page is saved under .artifacts/screenshots when a test fails.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"esenzioni/internal/testenv"
)

var (
	once     sync.Once
	allocCtx context.Context
	allocErr error
)

// chromiumPath finds Debian's Chromium (installed by scripts/install-deps.sh).
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium not found (scripts/install-deps.sh installs Debian's package)")
}

func allocator() (context.Context, error) {
	once.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			allocErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // root in CI containers
			chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("lang", "it-IT"),
			chromedp.WindowSize(1366, 900),
		)
		// The browser lives as long as the test binary; tests open their
		// own browser contexts in it.
		alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		allocCtx, _ = chromedp.NewContext(alloc)
		if err := chromedp.Do(allocCtx); err != nil {
			allocErr = fmt.Errorf("start chromium %s: %w", path, err)
		}
	})
	return allocCtx, allocErr
}

// Browser is one test's browser context.
type Browser struct {
	T    testing.TB
	Ctx  context.Context
	Base string
}

// New opens a fresh browser context for t on the application at base.
func New(t testing.TB, base string) *Browser {
	t.Helper()
	alloc, err := allocator()
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("start chromium: %v", err)
	}
	b := &Browser{T: t, Ctx: ctx, Base: strings.TrimRight(base, "/")}
	t.Cleanup(func() {
		if t.Failed() {
			b.Screenshot("failure")
		}
		cancel()
	})
	return b
}

// Run runs chromedp actions with a timeout, failing the test on error.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.Screenshot("error")
		b.T.Fatalf("browser: %v (page %s)", err, b.Location())
	}
}

// value runs an action that returns a value, failing the test on error.
func value[T any](b *Browser, a chromedp.Action[T]) T {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.Screenshot("error")
		b.T.Fatalf("browser: %v (page %s)", err, b.Location())
	}
	return v
}

// Visit opens path and waits for the page body.
func (b *Browser) Visit(path string) {
	b.T.Helper()
	b.Run(chromedp.Navigate(b.Base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// Back goes back in the history and waits for the page.
func (b *Browser) Back() {
	b.T.Helper()
	from := b.Location()
	b.Run(chromedp.Evaluate[chromedp.Void](`history.back()`))
	b.WaitFor(fmt.Sprintf(`location.href !== %q && document.readyState === "complete"`, from))
}

// Location is the current URL.
func (b *Browser) Location() string {
	ctx, cancel := context.WithTimeout(b.Ctx, 3*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// Text returns the visible text of the first element matching sel.
func (b *Browser) Text(sel string) string {
	b.T.Helper()
	// Read through JavaScript rather than chromedp's DOM mirror, which can
	// lag behind history navigations.
	b.WaitFor(fmt.Sprintf(`(function(e){ return !!e && e.getClientRects().length > 0; })(document.querySelector(%q))`, sel))
	return strings.TrimSpace(value(b, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).innerText", sel))))
}

// Exists reports whether sel matches an element now.
func (b *Browser) Exists(sel string) bool {
	b.T.Helper()
	return value(b, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel))) > 0
}

// Fill sets a field's value (clearing it first).
func (b *Browser) Fill(sel, value string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector(%q).value = ''", sel)),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

// Select chooses an option of a select by value.
func (b *Browser) Select(sel, value string) {
	b.T.Helper()
	b.Run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		"(function(e){ e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); })(document.querySelector(%q))", value, sel)),
		chromedp.Sleep(30*time.Millisecond))
	// A change may trigger an htmx request (dependent fields): let it land.
	b.WaitFor(`!document.querySelector(".htmx-request")`)
}

// Attribute returns an attribute of the first element matching sel.
func (b *Browser) Attribute(sel, name string) string {
	b.T.Helper()
	return value(b, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).getAttribute(%q) || ''", sel, name)))
}

// Upload puts a file (written to a temporary directory) into a file input.
func (b *Browser) Upload(sel, name string, data []byte) {
	b.T.Helper()
	dir := b.T.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.T.Fatal(err)
	}
	b.Run(chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// Checked reports whether a checkbox or radio is checked.
func (b *Browser) Checked(sel string) bool {
	b.T.Helper()
	return value(b, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q).checked", sel)))
}

// OptionValue returns the value of the i-th option of a select.
func (b *Browser) OptionValue(sel string, i int) string {
	b.T.Helper()
	return value(b, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).options[%d].value", sel, i)))
}

// Click clicks an element that replaces the page's content (a link, a
// form submission, boosted by htmx or not) and waits for the new content.
// The old <main> is marked before the click, so a stale page is never read.
func (b *Browser) Click(sel string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`(document.getElementById("contenuto")||document.body).dataset.stale = "1"`),
		chromedp.Click(chromedp.CSS(sel)))
	b.WaitFor(`(function(){ var m = document.getElementById("contenuto"); return !!m && !m.dataset.stale &&
		document.readyState === "complete" && !document.querySelector(".htmx-request"); })()`)
}

// Press clicks an element that acts inside the page (opens a dialog, loads
// a fragment) and waits for htmx to be idle.
func (b *Browser) Press(sel string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)), chromedp.Sleep(50*time.Millisecond))
	b.WaitFor(`document.readyState === "complete" && !document.querySelector(".htmx-request")`)
}

// WaitFor polls a JavaScript condition, surviving the navigations that
// destroy the page's execution context meanwhile.
func (b *Browser) WaitFor(cond string) {
	b.T.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.Screenshot("timeout")
			b.T.Fatalf("browser: timed out waiting for %s (last error %v, page %s)", cond, err, b.Location())
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// Login signs in through the login form.
func (b *Browser) Login(username, password, pin string) {
	b.T.Helper()
	b.Visit("/login")
	b.Fill("#username", username)
	b.Fill("#password", password)
	b.Fill("#pin", pin)
	b.Click("#accedi")
}

// Cookies returns the browser's cookies for the app.
func (b *Browser) Cookies() []*network.Cookie {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.Base}})
	if err != nil {
		b.T.Fatalf("browser: cookies: %v", err)
	}
	return res.Cookies
}

// Screenshot saves a PNG of the page under .artifacts/screenshots.
func (b *Browser) Screenshot(label string) string {
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return ""
	}
	dir := filepath.Join(artifactsDir(), "screenshots")
	_ = os.MkdirAll(dir, 0o755)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.T.Name()) + "-" + label + ".png"
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf, 0o644); err == nil {
		b.T.Logf("screenshot: %s", path)
	}
	return path
}

// artifactsDir is .artifacts at the module root.
func artifactsDir() string {
	if d := os.Getenv("ESENZIONI_ARTIFACTS"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".artifacts")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, ".artifacts")
		}
	}
}
