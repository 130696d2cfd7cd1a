package web

import (
	"reflect"
	"strings"
)

// APIRequestFields lists, for the tests outside the package (the hostile
// input suite), the JSON paths of every field of the API's request bodies
// by route, as "beneficiary.lastName" and "attachmentIds[]" for the
// elements of a list: a field added to a request is fed hostile values
// without anyone listing it.
func APIRequestFields() map[string][]string {
	return map[string][]string{
		"POST /api/v1/practices":                jsonPaths(reflect.TypeOf(submitRequest{}), ""),
		"POST /api/v1/practices/:number/cancel": jsonPaths(reflect.TypeOf(cancelRequest{}), ""),
	}
}

// FieldNames are the query parameters and form fields the input rules know.
func FieldNames() []string {
	out := make([]string, 0, len(fieldRules))
	for name := range fieldRules {
		out = append(out, name)
	}
	return out
}

func jsonPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := prefix + name
		switch f.Type.Kind() {
		case reflect.Struct:
			out = append(out, jsonPaths(f.Type, p+".")...)
		case reflect.Slice:
			out = append(out, p+"[]")
		default:
			out = append(out, p)
		}
	}
	return out
}
