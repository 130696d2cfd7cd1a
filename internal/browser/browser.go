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

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
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
		// The browser lives as long as the test binary; tests open their
		// own browser contexts in it.
		alloc, _ := chromedp.NewExecAllocator(context.Background(), execOptions(path)...)
		allocCtx, _ = chromedp.NewContext(alloc)
		if err := chromedp.Do(allocCtx); err != nil {
			allocErr = fmt.Errorf("start chromium %s: %w", path, err)
		}
	})
	return allocCtx, allocErr
}

// execOptions are the command-line options of the tests' Chromium.
func execOptions(path string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "it-IT"),
		// Back reloads a page rather than restoring it from the back-forward
		// cache, whose restored DOM chromedp's clicks do not see.
		chromedp.Flag("disable-features", "BackForwardCache"),
		chromedp.WindowSize(1366, 900),
	)
}

// Browser is one test's browser context.
type Browser struct {
	T    testing.TB
	Ctx  context.Context
	Base string

	mu sync.Mutex
	// console holds the page's uncaught exceptions, console.error calls and
	// browser log entries of level error, in the order they came.
	console []ConsoleEntry
	// pages4xx are the pages (documents, or htmx requests answered with
	// HTML) that the server answered 409 or 422: a conflict to show, a form
	// to correct. Chromium reports each as "Failed to load resource", which
	// is the HTTP status doing its job, not an error of the page. Any other
	// 4xx (a broken link's 404, a denial's 403) and any script, stylesheet
	// or JSON request answered 4xx still count.
	pages4xx map[string]bool
}

// ConsoleEntry is one error the page reported.
type ConsoleEntry struct {
	Kind string // exception, console, log
	Text string
	URL  string // the page or resource it is about, when known
}

func (e ConsoleEntry) String() string {
	if e.URL != "" {
		return e.Kind + ": " + e.Text + " (" + e.URL + ")"
	}
	return e.Kind + ": " + e.Text
}

// New opens a fresh browser context for t on the application at base.
func New(t testing.TB, base string) *Browser {
	t.Helper()
	alloc, err := allocator()
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	return open(t, alloc, base, chromedp.WithNewBrowserContext())
}

// open starts a browser context (a tab) in the browser of alloc.
func open(t testing.TB, alloc context.Context, base string, opts ...chromedp.ContextOption) *Browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc, opts...)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("start chromium: %v", err)
	}
	b := &Browser{T: t, Ctx: ctx, Base: strings.TrimRight(base, "/")}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		cancel()
		t.Fatalf("listen to the browser: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		cancel()
		t.Fatalf("enable browser log: %v", err)
	}
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
	// The content being left is marked, so the page restored by htmx (which
	// swaps in the content it fetches again) is waited for. A page that
	// Chromium restores whole from its back-forward cache still carries the
	// "stale" mark Click put on it when it was left: that one does not
	// count here, only this mark.
	b.Run(chromedp.Evaluate[chromedp.Void](`(document.getElementById("contenuto")||document.body).dataset.leftBack = "1"; history.back()`))
	b.WaitFor(fmt.Sprintf(`(function(){ var m = document.getElementById("contenuto"); return location.href !== %q && !!m && !m.dataset.leftBack &&
		document.readyState === "complete" && !document.querySelector(".htmx-request"); })()`, from))
	b.Run(chromedp.Evaluate[chromedp.Void](`(function(m){ if (m) delete m.dataset.stale; })(document.getElementById("contenuto"))`))
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
	b.settle(sel)
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`(document.getElementById("contenuto")||document.body).dataset.stale = "1"`),
		chromedp.Click(chromedp.CSS(sel)))
	b.WaitFor(`(function(){ var m = document.getElementById("contenuto"); return !!m && !m.dataset.stale &&
		document.readyState === "complete" && !document.querySelector(".htmx-request"); })()`)
}

// settle waits until sel stands still: a page restored from history (or
// scrolling smoothly) moves its elements, and a mouse click aimed at where
// an element was lands beside it.
func (b *Browser) settle(sel string) {
	b.T.Helper()
	b.WaitFor(fmt.Sprintf(`(function(e){
		if (!e) return false;
		// CSS transitions (a dialog fading in) ignore clicks until they end.
		if (document.getAnimations().some(function(a){ return a.playState === "running" && a.effect && a.effect.getTiming().iterations !== Infinity; })) return false;
		var r = e.getBoundingClientRect(), key = r.top + ":" + r.left + ":" + window.scrollY;
		var same = e.dataset.settle === key;
		e.dataset.settle = key;
		return same;
	})(document.querySelector(%q))`, sel))
}

// Press clicks an element that acts inside the page (opens a dialog, loads
// a fragment) and waits for htmx to be idle.
func (b *Browser) Press(sel string) {
	b.T.Helper()
	b.settle(sel)
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

// listen records what the page reports as errors.
func (b *Browser) listen(ev any) {
	var e ConsoleEntry
	switch ev := ev.(type) {
	case *network.EventResponseReceived:
		if (ev.Type == network.ResourceTypeDocument || ev.Type == network.ResourceTypeXHR || ev.Type == network.ResourceTypeFetch) &&
			ev.Response != nil && (ev.Response.Status == 409 || ev.Response.Status == 422) &&
			strings.HasPrefix(ev.Response.MimeType, "text/html") {
			b.mu.Lock()
			if b.pages4xx == nil {
				b.pages4xx = map[string]bool{}
			}
			b.pages4xx[ev.Response.URL] = true
			b.mu.Unlock()
		}
		return
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		e = ConsoleEntry{Kind: "exception", Text: d.Text, URL: d.URL}
		if d.Exception != nil && d.Exception.Description != "" {
			e.Text = d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
		}
		e = ConsoleEntry{Kind: "console", Text: strings.Join(parts, " ")}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level != cdplog.EntryLevelError {
			return
		}
		e = ConsoleEntry{Kind: "log", Text: ev.Entry.Text, URL: ev.Entry.URL}
	default:
		return
	}
	b.mu.Lock()
	b.console = append(b.console, e)
	b.mu.Unlock()
}

// ConsoleErrors returns the errors the pages reported so far.
func (b *Browser) ConsoleErrors() []ConsoleEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []ConsoleEntry
	for _, e := range b.console {
		if e.Kind == "log" && strings.HasPrefix(e.Text, "Failed to load resource: the server responded with a status of 4") && b.pages4xx[e.URL] {
			continue // a 409 or 422 page, shown as the answer (see pages4xx)
		}
		out = append(out, e)
	}
	return out
}

// RequireNoConsoleErrors fails the test if any page reported an error since
// the browser opened.
func (b *Browser) RequireNoConsoleErrors() {
	b.T.Helper()
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		lines := make([]string, len(errs))
		for i, e := range errs {
			lines[i] = e.String()
		}
		b.Screenshot("console")
		b.T.Fatalf("browser console errors on %s:\n  %s", b.Location(), strings.Join(lines, "\n  "))
	}
}

// RequireInteractive fails the test when the page is left inert: a dialog
// open that nobody asked for, a modal backdrop, an inert element, or a
// control of the page covered by something else.
func (b *Browser) RequireInteractive(controls ...string) {
	b.T.Helper()
	state := value(b, chromedp.Evaluate[string](`(function(){
		if (document.querySelector(".modal.show")) return "a dialog is open: " + document.querySelector(".modal.show").id;
		if (document.querySelector(".modal-backdrop")) return "a modal backdrop covers the page";
		if (document.body.classList.contains("modal-open")) return "the body is in modal mode";
		if (document.querySelector("[inert]")) return "an element is inert";
		return "";
	})()`))
	if state != "" {
		b.Screenshot("inert")
		b.T.Fatalf("browser: page %s is inert: %s", b.Location(), state)
	}
	for _, sel := range controls {
		covered := value(b, chromedp.Evaluate[string](fmt.Sprintf(`(function(e){
			if (!e) return "missing";
			e.scrollIntoView({block: "center", behavior: "instant"});
			var r = e.getBoundingClientRect();
			var top = document.elementFromPoint(r.left + r.width/2, r.top + r.height/2);
			return (top === e || e.contains(top)) ? "" : "covered by " + (top ? top.outerHTML.slice(0, 80) : "nothing");
		})(document.querySelector(%q))`, sel)))
		if covered != "" {
			b.Screenshot("inert")
			b.T.Fatalf("browser: %s on %s is not usable: %s", sel, b.Location(), covered)
		}
	}
}

// ClickLink clicks the link whose visible text is text (inside scope, a CSS
// selector; "" for the whole page) and waits for the new content, as Click.
func (b *Browser) ClickLink(scope, text string) {
	b.T.Helper()
	if scope == "" {
		scope = "body"
	}
	js := fmt.Sprintf(`(function(){
		var links = document.querySelectorAll(%q + " a");
		for (var i = 0; i < links.length; i++) {
			if (links[i].innerText.trim() === %q && links[i].getClientRects().length > 0) {
				document.querySelectorAll("[data-click-target]").forEach(function(e){ e.removeAttribute("data-click-target"); });
				links[i].setAttribute("data-click-target", "1");
				return true;
			}
		}
		return false;
	})()`, scope, text)
	b.WaitFor(js)
	b.Click("[data-click-target]")
}
