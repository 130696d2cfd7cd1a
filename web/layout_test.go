package web_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/internal/browser"
)

// TestLayoutFromPhoneToWideMonitor: at 390 px (a phone) and 1366 px (an
// office monitor) the pages the operator works in fit the window (no
// horizontal scrolling of the page: wide tables scroll in their own box)
// and «Esci» is on screen. Screenshots of each are saved under
// .artifacts/screenshots for a person to look at (issue 14, deliver 4).
func TestLayoutFromPhoneToWideMonitor(t *testing.T) {
	w := newExemptionWorld(t)
	b := w.browser(t, "operatore.to3")
	pages := []struct{ name, path string }{
		{"home", "/"},
		{"pratiche", "/pratiche/da-fare"},
		{"esenzioni", "/esenzioni?cognome=ROSSI"},
		{"esenzione", fmt.Sprintf("/esenzioni/%d", w.fromPractice)},
		{"modifica", fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice)},
		{"nuova", "/esenzioni/nuova"},
		{"non-trovata", "/pagina-inesistente"},
	}
	for _, width := range []int64{390, 1366} {
		b.Viewport(width, 900)
		for _, p := range pages {
			b.Visit(p.path)
			b.Screenshot(fmt.Sprintf("%s-%d", p.name, width))
			require.Empty(t, b.Overflow(), "%s at %d px", p.name, width)
			require.True(t, b.InView("#esci"), "«Esci» on screen: %s at %d px", p.name, width)
			switch p.name {
			case "pratiche":
				require.True(t, b.InView(".nav-tabs a[href='/esenzioni']"), "the Esenzioni tab at %d px", width)
			case "modifica", "nuova":
				// Labels of one row start at the same height, clear of the
				// heading above them.
				require.True(t, b.True(`(function(){
					var rows = {};
					document.querySelectorAll("main .row > [class*=col]").forEach(function(col){
						var l = col.querySelector("label");
						if (!l || l.getBoundingClientRect().width === 0) return;
						var key = Math.round(col.getBoundingClientRect().top);
						(rows[key] = rows[key] || []).push(l.getBoundingClientRect().top);
					});
					return Object.keys(rows).every(function(k){ var t = rows[k]; return Math.max.apply(null, t) - Math.min.apply(null, t) <= 2; });
				})()`), "labels aligned: %s at %d px", p.name, width)
				h1 := `document.querySelector("main h1").getBoundingClientRect().bottom`
				require.True(t, b.True(`(function(){ var l = document.querySelector("main form label"); return !l || l.getBoundingClientRect().top - `+h1+` >= 12; })()`),
					"the heading does not crowd the labels: %s at %d px", p.name, width)
			}
		}
	}
	// The login page too.
	l := browser.New(t, w.URL)
	for _, width := range []int64{390, 1366} {
		l.Viewport(width, 900)
		l.Visit("/login")
		l.Screenshot(fmt.Sprintf("login-%d", width))
		require.Empty(t, l.Overflow(), "login at %d px", width)
		require.True(t, l.InView("#accedi"), "login at %d px", width)
	}
}
