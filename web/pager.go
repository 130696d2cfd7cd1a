package web

import (
	"net/url"
	"strconv"
)

// pager is the numbered pagination of a results list: «Precedente», the
// first and last page, the pages around the current one, «Successiva».
type pager struct {
	Current, Last int
	Prev, Next    string // URLs, "" at the ends
	Links         []pageLink
	Capped        bool // more results than counted: pages beyond Last exist
}

// pageLink is one entry of the pager: a page, or a gap ("…").
type pageLink struct {
	Number  int
	URL     string
	Current bool
	Gap     bool
}

// pageParam reads the 1-based page number ("pagina"); anything else is 1.
func pageParam(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > searchCountCap/pageSize {
		return 1
	}
	return n
}

// newPager builds the pager of a list at base (path) with the filters in v,
// on page current of total results (capped: total is a lower bound).
func newPager(base string, v url.Values, current, total int, capped bool) pager {
	last := (total + pageSize - 1) / pageSize
	if last < 1 {
		last = 1
	}
	if current > last {
		current = last
	}
	link := func(n int) string {
		q := url.Values{}
		for k, vs := range v {
			q[k] = vs
		}
		q.Del("dopo")
		if n > 1 {
			q.Set("pagina", strconv.Itoa(n))
		} else {
			q.Del("pagina")
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	p := pager{Current: current, Last: last, Capped: capped}
	if current > 1 {
		p.Prev = link(current - 1)
	}
	if current < last {
		p.Next = link(current + 1)
	}
	prevShown := 0
	for n := 1; n <= last; n++ {
		if n != 1 && n != last && (n < current-2 || n > current+2) {
			continue
		}
		if prevShown != 0 && n > prevShown+1 {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
		p.Links = append(p.Links, pageLink{Number: n, URL: link(n), Current: n == current})
		prevShown = n
	}
	return p
}
