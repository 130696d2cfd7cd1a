package web

import (
	"encoding/base64"
	"strings"

	"github.com/gin-gonic/gin"
)

const flashCookie = "esenzioni_avviso"

// setFlash leaves a banner for the next page (post/redirect/get).
func setFlash(c *gin.Context, kind, message string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + message))
	c.SetSameSite(httpSameSite)
	c.SetCookie(flashCookie, v, 60, "/", "", secureCookies(c), true)
}

func decodeFlash(v string) *Flash {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(string(b), "|")
	switch kind {
	case "success", "warning", "danger", "info":
	default:
		return nil
	}
	if !ok || msg == "" {
		return nil
	}
	return &Flash{Kind: kind, Message: msg}
}
