package codec

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"
)

var (
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
)

func newCodec(t *testing.T, id string, key []byte) *Codec {
	t.Helper()
	c, err := New(id, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func toPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func encoding(p *commonpb.Payload) string { return string(p.GetMetadata()[converter.MetadataEncoding]) }

func TestNewKeySizes(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := New("k", make([]byte, n)); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
	if _, err := New("k", make([]byte, 32)); err != nil {
		t.Errorf("32 bytes: %v", err)
	}
}

// What Encode encrypts and what it leaves in clear, and that Decode gives
// back exactly what was encoded.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	c := newCodec(t, "k1", key1)
	type command struct {
		FiscalCode string `json:"fiscalCode"`
		Note       string `json:"note"`
	}
	meta, err := converter.GetDefaultDataConverter().ToPayload(&sdkpb.WorkflowMetadata{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		payload   *commonpb.Payload
		encrypted bool
	}{
		{"JSON object with personal data", toPayload(t, command{"RSSMRA80A01H501U", "nota è"}), true},
		{"JSON number", toPayload(t, 42), true},
		{"JSON array", toPayload(t, []string{"RSSMRA80A01H501U"}), true},
		{"JSON true", toPayload(t, true), true},
		{"bytes", toPayload(t, []byte("RSSMRA80A01H501U")), true},
		{"proto message", toPayload(t, &commonpb.WorkflowExecution{WorkflowId: "pratica-1"}), true},
		{"bare string (summaries)", toPayload(t, "Pratica 2026"), false},
		{"nil", toPayload(t, nil), false},
		{"the UI's workflow metadata", meta, false},
		{"empty JSON data", &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}}, true},
		{"no metadata", &commonpb.Payload{Data: []byte("RSSMRA80A01H501U")}, true},
	} {
		enc, err := c.Encode([]*commonpb.Payload{tc.payload})
		if err != nil {
			t.Fatalf("%s: Encode: %v", tc.name, err)
		}
		got := enc[0]
		if tc.encrypted {
			if encoding(got) != Encoding || string(got.Metadata[metaKeyID]) != "k1" {
				t.Errorf("%s: not encrypted: %v", tc.name, got.Metadata)
			}
			if len(tc.payload.Data) > 0 && bytes.Contains(got.Data, tc.payload.Data) {
				t.Errorf("%s: the ciphertext holds the clear data", tc.name)
			}
			if bytes.Contains(got.Data, []byte("RSSMRA80A01H501U")) {
				t.Errorf("%s: a fiscal code in clear", tc.name)
			}
		} else if got != tc.payload {
			t.Errorf("%s: changed, should stay in clear", tc.name)
		}
		dec, err := c.Decode(enc)
		if err != nil {
			t.Fatalf("%s: Decode: %v", tc.name, err)
		}
		if encoding(dec[0]) != encoding(tc.payload) || !bytes.Equal(dec[0].Data, tc.payload.Data) ||
			len(dec[0].Metadata) != len(tc.payload.Metadata) {
			t.Errorf("%s: round trip gave %v %q, want %v %q", tc.name, dec[0].Metadata, dec[0].Data, tc.payload.Metadata, tc.payload.Data)
		}
	}
}

func TestEncodeIsRandomized(t *testing.T) {
	c := newCodec(t, "k1", key1)
	p := toPayload(t, map[string]string{"fiscalCode": "RSSMRA80A01H501U"})
	a, _ := c.Encode([]*commonpb.Payload{p})
	b, _ := c.Encode([]*commonpb.Payload{p})
	if bytes.Equal(a[0].Data, b[0].Data) {
		t.Fatal("two encryptions of one payload are equal: nonce reused")
	}
}

// The data converter encrypts what a workflow sends and reads it back.
func TestDataConverterRoundTrip(t *testing.T) {
	dc := newCodec(t, "k1", key1).DataConverter()
	type in struct {
		Number string
		Notes  []string
	}
	want := in{"202601020300000001", []string{"una", "due"}}
	p, err := dc.ToPayload(want)
	if err != nil {
		t.Fatal(err)
	}
	if encoding(p) != Encoding {
		t.Fatalf("encoding %q", encoding(p))
	}
	var got in
	if err := dc.FromPayload(p, &got); err != nil {
		t.Fatal(err)
	}
	if got.Number != want.Number || strings.Join(got.Notes, ",") != "una,due" {
		t.Fatalf("got %+v", got)
	}
}

func TestDecodeRefusals(t *testing.T) {
	c := newCodec(t, "k1", key1)
	enc, err := c.Encode([]*commonpb.Payload{toPayload(t, map[string]string{"a": "b"})})
	if err != nil {
		t.Fatal(err)
	}
	good := enc[0]
	mutate := func(f func(p *commonpb.Payload)) *commonpb.Payload {
		meta := map[string][]byte{}
		for k, v := range good.Metadata {
			meta[k] = append([]byte{}, v...)
		}
		p := &commonpb.Payload{Metadata: meta, Data: append([]byte{}, good.Data...)}
		f(p)
		return p
	}
	for _, tc := range []struct {
		name    string
		codec   *Codec
		payload *commonpb.Payload
		errText string
	}{
		{"wrong key under the same id", newCodec(t, "k1", key2), good, "cannot decrypt"},
		{"unknown key id", newCodec(t, "k2", key2), good, `unknown key id "k1"`},
		{"key id changed in the metadata", newCodec(t, "k2", key1), mutate(func(p *commonpb.Payload) { p.Metadata[metaKeyID] = []byte("k2") }), "cannot decrypt"},
		{"ciphertext bit flipped", c, mutate(func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 }), "cannot decrypt"},
		{"nonce changed", c, mutate(func(p *commonpb.Payload) { p.Data[0] ^= 0x80 }), "cannot decrypt"},
		{"tag cut", c, mutate(func(p *commonpb.Payload) { p.Data = p.Data[:len(p.Data)-1] }), "cannot decrypt"},
		{"bytes appended", c, mutate(func(p *commonpb.Payload) { p.Data = append(p.Data, 0) }), "cannot decrypt"},
		{"shorter than a nonce", c, mutate(func(p *commonpb.Payload) { p.Data = p.Data[:5] }), "too short"},
		{"empty data", c, mutate(func(p *commonpb.Payload) { p.Data = nil }), "too short"},
		{"no key id", c, mutate(func(p *commonpb.Payload) { delete(p.Metadata, metaKeyID) }), `unknown key id ""`},
	} {
		in := []*commonpb.Payload{toPayload(t, "chiaro"), tc.payload}
		out, err := tc.codec.Decode(in)
		if err == nil || !strings.Contains(err.Error(), tc.errText) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.errText)
		}
		if len(out) != len(in) || out[1] != in[1] {
			t.Errorf("%s: a failed Decode must hand back its input", tc.name)
		}
	}
	// Ciphertext that decrypts but is not a payload.
	block := newCodec(t, "k1", key1)
	nonce := make([]byte, block.aead.NonceSize())
	junk := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), metaKeyID: []byte("k1")},
		Data: block.aead.Seal(nonce, nonce, []byte{0xff, 0xff, 0xff}, []byte("k1"))}
	if _, err := c.Decode([]*commonpb.Payload{junk}); err == nil {
		t.Error("decrypted garbage was accepted as a payload")
	}
}

// Strict replaces what came in clear, except bare strings and nil.
func TestStrictDecode(t *testing.T) {
	c := newCodec(t, "k1", key1)
	s := Strict{c}
	obj := toPayload(t, map[string]any{"action": "ANNULLAMENTO", "actor": map[string]string{"role": "AMMINISTRATORE"}})
	enc, err := c.Encode([]*commonpb.Payload{obj})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		payload  *commonpb.Payload
		want     []byte // nil: unchanged
		wantJSON bool
	}{
		{"encrypted: decrypted", enc[0], obj.Data, false},
		{"JSON object in clear: replaced", obj, Unencrypted, true},
		{"JSON number in clear: replaced", toPayload(t, 7), Unencrypted, true},
		{"proto in clear: replaced", toPayload(t, &commonpb.WorkflowExecution{WorkflowId: "x"}), Unencrypted, true},
		{"raw bytes in clear: replaced", &commonpb.Payload{Data: []byte("x")}, Unencrypted, true},
		{"bare string: kept", toPayload(t, "marker"), nil, false},
		{"nil: kept", toPayload(t, nil), nil, false},
	} {
		out, err := s.Decode([]*commonpb.Payload{tc.payload})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.want
		if want == nil {
			want = tc.payload.Data
		}
		if !bytes.Equal(out[0].Data, want) {
			t.Errorf("%s: data %q, want %q", tc.name, out[0].Data, want)
		}
		if tc.wantJSON && encoding(out[0]) != converter.MetadataEncodingJSON {
			t.Errorf("%s: encoding %q", tc.name, encoding(out[0]))
		}
	}
	// The replacement decodes as a refusal marker, not as the sender's data.
	var cmd struct {
		Action      string `json:"action"`
		Unencrypted bool   `json:"unencrypted"`
	}
	out, _ := s.Decode([]*commonpb.Payload{obj})
	if err := converter.GetDefaultDataConverter().FromPayload(out[0], &cmd); err != nil || !cmd.Unencrypted || cmd.Action != "" {
		t.Errorf("replacement decodes as %+v, %v", cmd, err)
	}
	// A tampered payload is an error, not a replacement.
	bad := &commonpb.Payload{Metadata: enc[0].Metadata, Data: append([]byte{}, enc[0].Data...)}
	bad.Data[len(bad.Data)-1] ^= 1
	if _, err := s.Decode([]*commonpb.Payload{bad}); err == nil {
		t.Error("Strict accepted a tampered payload")
	}
	// A strict worker's data converter reads the replacement, never the clear data.
	var got map[string]any
	if err := s.DataConverter().FromPayload(obj, &got); err != nil || got["unencrypted"] != true || got["action"] != nil {
		t.Errorf("strict data converter read %v, %v", got, err)
	}
}

// Stamp overwrites one field of every JSON object, then encrypts.
func TestStamp(t *testing.T) {
	c := newCodec(t, "k1", key1)
	actor := map[string]string{"fiscalCode": "SPRVSR70A01H501X", "role": "AMMINISTRATORE"}
	st := c.Stamp("actor", actor)
	for _, tc := range []struct {
		name    string
		payload *commonpb.Payload
		stamped bool
	}{
		{"object without the field", toPayload(t, map[string]any{"action": "ANNULLAMENTO"}), true},
		{"object claiming another actor", toPayload(t, map[string]any{"action": "ANNULLAMENTO", "actor": map[string]string{"role": "SISTEMA"}}), true},
		{"empty object", toPayload(t, map[string]any{}), true},
		{"JSON null", &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}, Data: []byte("null")}, false},
		{"JSON array", toPayload(t, []int{1, 2}), false},
		{"JSON number", toPayload(t, 3), false},
		{"proto", toPayload(t, &commonpb.WorkflowExecution{WorkflowId: "x"}), false},
	} {
		enc, err := st.Encode([]*commonpb.Payload{tc.payload})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if encoding(enc[0]) != Encoding {
			t.Errorf("%s: not encrypted", tc.name)
		}
		dec, err := st.Decode(enc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tc.stamped {
			if !bytes.Equal(dec[0].Data, tc.payload.Data) {
				t.Errorf("%s: changed to %s", tc.name, dec[0].Data)
			}
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(dec[0].Data, &obj); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got map[string]string
		_ = json.Unmarshal(obj["actor"], &got)
		if got["fiscalCode"] != actor["fiscalCode"] || got["role"] != actor["role"] || len(got) != 2 {
			t.Errorf("%s: actor %s", tc.name, obj["actor"])
		}
		var before map[string]json.RawMessage
		_ = json.Unmarshal(tc.payload.Data, &before)
		for k, v := range before {
			if k != "actor" && string(obj[k]) != string(v) {
				t.Errorf("%s: field %s changed from %s to %s", tc.name, k, v, obj[k])
			}
		}
		if encoding(dec[0]) != converter.MetadataEncodingJSON {
			t.Errorf("%s: metadata lost: %v", tc.name, dec[0].Metadata)
		}
	}
	// A bare string stays in clear, stamped or not.
	s := toPayload(t, "riepilogo")
	enc, _ := st.Encode([]*commonpb.Payload{s})
	if enc[0] != s {
		t.Error("a bare string was stamped or encrypted")
	}
	// A value that cannot be JSON is an error.
	if _, err := c.Stamp("actor", make(chan int)).Encode([]*commonpb.Payload{toPayload(t, map[string]int{"a": 1})}); err == nil {
		t.Error("an unmarshalable stamp was accepted")
	}
}
