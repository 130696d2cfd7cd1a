package web

import (
	"reflect"
	"regexp"
	"testing"
)

// The web writes only through the service layer: Reader, the store as the
// web sees it, must not grow a write method (the compiler then keeps every
// handler read-only).
func TestReaderHasNoWriteMethod(t *testing.T) {
	write := regexp.MustCompile(`^(Create|Save|Set|Mark|Record|Reset|Delete|Touch|Take|Store|Audit$|Upsert|Import|Complete|Insert|Update|Apply|Project|Put|Remove|Exec|DB$)`)
	r := reflect.TypeOf((*Reader)(nil)).Elem()
	if r.NumMethod() < 30 {
		t.Fatalf("Reader has %d methods: is it still the web's read interface?", r.NumMethod())
	}
	for i := range r.NumMethod() {
		if name := r.Method(i).Name; write.MatchString(name) {
			t.Errorf("web.Reader has %s, a write: writes go through a service (service/...)", name)
		}
	}
	if _, ok := reflect.TypeOf(Deps{}).FieldByName("Store"); !ok {
		t.Fatal("Deps.Store is gone: update this test")
	}
	if f, _ := reflect.TypeOf(Deps{}).FieldByName("Store"); f.Type != r {
		t.Errorf("Deps.Store is %s, not the read-only Reader", f.Type)
	}
}
