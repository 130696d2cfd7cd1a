// Where Bootstrap Italia finds its fonts. A file, not an inline script: the
// Content-Security-Policy runs only the application's own script files.
window.__PUBLIC_PATH__ = "/static/vendor/bootstrap-italia/fonts";
