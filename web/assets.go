package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Static assets are embedded in the binary and served from
// /static/v/<version>/<path>, where <version> is a digest of every embedded
// file: a release that changes any asset changes every URL, so browsers may
// keep them for a year without asking again (Cache-Control immutable).
// Text assets (CSS, JavaScript, SVG, YAML) are gzipped once, at first use,
// and sent compressed to every browser that accepts gzip.
//
// The unversioned /static/<path> still answers (bookmarks, the OpenAPI
// document), with a short cache; so does a versioned URL of another release
// (a page loaded just before a deployment), without immutable.

// assetYear is the max-age of versioned assets.
const assetYear = 365 * 24 * time.Hour

// asset is one embedded file, ready to send.
type asset struct {
	body  []byte
	gz    []byte // nil when not worth compressing
	ctype string
	etag  string
}

// assetStore holds the embedded static files and their version.
type assetStore struct {
	fsys    fs.FS
	version string

	mu    sync.Mutex
	cache map[string]*asset
}

// assets are the binary's static files.
var assets = newAssetStore()

func newAssetStore() *assetStore {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	return &assetStore{fsys: sub, version: treeDigest(sub), cache: map[string]*asset{}}
}

// treeDigest is a short digest of every file's path and content.
func treeDigest(fsys fs.FS) string {
	var paths []string
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		b, _ := fs.ReadFile(fsys, p)
		h.Write([]byte(p))
		h.Write([]byte{0})
		sum := sha256.Sum256(b)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// URL is the versioned address of a static file (p relative to static/).
func (a *assetStore) URL(p string) string {
	return "/static/v/" + a.version + "/" + strings.TrimPrefix(p, "/")
}

// compressible reports whether a content type gains from gzip.
func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "svg") || strings.Contains(ctype, "yaml") || strings.Contains(ctype, "json")
}

// get loads (once) the file at p, or nil if there is none.
func (a *assetStore) get(p string) *asset {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	a.mu.Lock()
	defer a.mu.Unlock()
	if as, ok := a.cache[p]; ok {
		return as
	}
	body, err := fs.ReadFile(a.fsys, p)
	if err != nil || p == "" {
		return nil // not cached: a scan of unknown paths must not grow the map
	}
	ctype := mime.TypeByExtension(path.Ext(p))
	switch path.Ext(p) {
	case ".yaml", ".yml":
		ctype = "application/yaml"
	case ".woff2":
		ctype = "font/woff2"
	}
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	sum := sha256.Sum256(body)
	as := &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if compressible(ctype) && len(body) > 200 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			as.gz = buf.Bytes()
		}
	}
	a.cache[p] = as
	return as
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			q := strings.TrimSpace(params)
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// serve answers GET/HEAD of a static file: p relative to static/, immutable
// when the URL carried the current version.
func (a *assetStore) serve(c *gin.Context, p string, immutable bool) {
	as := a.get(p)
	if as == nil {
		c.Status(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("ETag", as.etag)
	if immutable {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(assetYear.Seconds()))+", immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	if as.gz != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if match := c.GetHeader("If-None-Match"); match != "" && match == as.etag {
		c.Status(http.StatusNotModified)
		return
	}
	body := as.body
	if as.gz != nil && acceptsGzip(c.Request) {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		_, _ = c.Writer.Write(body)
	}
}

// routeStatic mounts the static files.
func (s *Server) routeStatic(e *gin.Engine) {
	e.GET("/static/*path", func(c *gin.Context) {
		p := strings.TrimPrefix(c.Param("path"), "/")
		if rest, ok := strings.CutPrefix(p, "v/"); ok {
			version, file, found := strings.Cut(rest, "/")
			if found {
				if assets.get(file) == nil {
					s.pageNotFound(c)
					return
				}
				assets.serve(c, file, version == assets.version)
				return
			}
		}
		if assets.get(p) == nil {
			s.pageNotFound(c)
			return
		}
		assets.serve(c, p, false)
	})
}
