package browser

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// DisableCache makes the browser fetch every resource again (a first visit).
func (b *Browser) DisableCache() {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		b.T.Fatalf("browser: network: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.T.Fatalf("browser: disable cache: %v", err)
	}
}

// PageWeight is what the current page cost to load, as the browser's
// Resource Timing counts it once the fonts are in: bytes on the wire
// (headers and compressed bodies) and decoded bodies.
type PageWeight struct {
	Transferred int64 `json:"transferred"`
	Decoded     int64 `json:"decoded"`
	Resources   int   `json:"resources"`
	// DOMContentLoaded is when the document was parsed and its deferred
	// scripts ran, in ms from the start of the navigation (a figure to
	// log, not to assert: timings belong in benchmarks).
	DOMContentLoaded float64 `json:"domContentLoaded"`
}

// Weight measures the current page (document and every resource loaded
// since it opened).
func (b *Browser) Weight() PageWeight {
	b.T.Helper()
	b.WaitFor(`document.readyState === "complete"`)
	b.Run(chromedp.Evaluate[chromedp.Void](`document.fonts.ready.then(function(){ window.__fontsReady = true; })`))
	b.WaitFor(`window.__fontsReady === true`)
	return value(b, chromedp.Evaluate[PageWeight](`(function(){
		var nav = performance.getEntriesByType("navigation")[0];
		var w = {transferred: 0, decoded: 0, resources: 0, domContentLoaded: nav ? nav.domContentLoadedEventEnd : 0};
		performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).forEach(function(e){
			w.transferred += e.transferSize; w.decoded += e.decodedBodySize; w.resources++;
		});
		return w;
	})()`))
}

// Viewport resizes the page's viewport (CSS pixels).
func (b *Browser) Viewport(width, height int64) {
	b.T.Helper()
	b.Run(chromedp.EmulateViewport(width, height))
}

// Overflow reports what sticks out of the viewport horizontally: "" when
// the page fits its width, or the first element wider than the window.
// Elements inside a horizontally scrollable container (a wide table in
// .table-responsive) do not count: the container scrolls, the page does not.
func (b *Browser) Overflow() string {
	b.T.Helper()
	return value(b, chromedp.Evaluate[string](`(function(){
		var W = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= W) return "";
		var all = document.body.querySelectorAll("*");
		for (var i = 0; i < all.length; i++) {
			var e = all[i], r = e.getBoundingClientRect();
			if (r.width === 0 || r.right <= W + 1) continue;
			var p = e.parentElement, scrolled = false;
			while (p && p !== document.body) {
				var ox = getComputedStyle(p).overflowX;
				if (ox === "auto" || ox === "scroll" || ox === "hidden") { scrolled = true; break; }
				p = p.parentElement;
			}
			if (!scrolled) return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className + " reaches " + Math.round(r.right) + "px of " + W;
		}
		return "the page is " + document.documentElement.scrollWidth + "px wide in a " + W + "px window";
	})()`))
}

// InView reports whether sel is visible and wholly inside the viewport's
// width (not cut off at the right edge).
func (b *Browser) InView(sel string) bool {
	b.T.Helper()
	return value(b, chromedp.Evaluate[bool](`(function(e){
		if (!e) return false;
		var r = e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth &&
			getComputedStyle(e).visibility !== "hidden";
	})(document.querySelector(`+quote(sel)+`))`))
}

func quote(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch r {
		case '"', '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}

// Count is how many elements match sel now.
func (b *Browser) Count(sel string) int {
	b.T.Helper()
	return value(b, chromedp.Evaluate[int]("document.querySelectorAll("+quote(sel)+").length"))
}

// Value is the current value of a form field (what the operator typed).
func (b *Browser) Value(sel string) string {
	b.T.Helper()
	return value(b, chromedp.Evaluate[string]("document.querySelector("+quote(sel)+").value"))
}

// Eval runs a script in the page (an action no click can make, such as
// choosing a day in the browser's own date picker).
func (b *Browser) Eval(js string) {
	b.T.Helper()
	b.Run(chromedp.Evaluate[chromedp.Void](js))
}

// True evaluates a JavaScript expression that yields a boolean.
func (b *Browser) True(js string) bool {
	b.T.Helper()
	return value(b, chromedp.Evaluate[bool](js))
}
