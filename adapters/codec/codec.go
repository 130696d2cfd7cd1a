// Package codec encrypts Temporal payloads (workflow inputs, results, query
// answers, update and signal arguments), which carry personal data such as
// fiscal codes and names, with AES-256-GCM. The Temporal server and its UI
// store and show only ciphertext; an authorised supervisor reads them through
// the codec endpoint the web server serves (see Handler).
//
// Bare strings are left in clear: the application uses them only for the
// workflow summaries shown in the UI, which by design hold no personal data.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

const (
	// Encoding marks an encrypted payload.
	Encoding = "binary/encrypted"
	// metaKeyID names the key that encrypted a payload, for key rotation.
	metaKeyID = "encryption-key-id"
	// metaWorkflowMetadata is the message type of the UI's metadata query
	// answer (current details), which holds no personal data either.
	workflowMetadataType = "temporal.api.sdk.v1.WorkflowMetadata"
)

// Codec is a converter.PayloadCodec.
type Codec struct {
	keyID string
	aead  cipher.AEAD
	// previous keys, by id, still accepted for decoding after a rotation.
	old map[string]cipher.AEAD
}

// New returns a codec encrypting with key (32 bytes) under keyID.
func New(keyID string, key []byte) (*Codec, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Codec{keyID: keyID, aead: aead, old: map[string]cipher.AEAD{}}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("codec: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// plain reports whether a payload stays in clear (see the package comment).
func plain(p *commonpb.Payload) bool {
	enc := string(p.GetMetadata()[converter.MetadataEncoding])
	switch enc {
	case converter.MetadataEncodingJSON:
		return len(p.GetData()) > 0 && p.GetData()[0] == '"'
	case converter.MetadataEncodingNil:
		return true
	case converter.MetadataEncodingProtoJSON, converter.MetadataEncodingProto:
		return string(p.GetMetadata()[converter.MetadataMessageType]) == workflowMetadataType
	}
	return false
}

// Encode encrypts every payload that is not plain.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if plain(p) {
			out[i] = p
			continue
		}
		raw, err := p.Marshal()
		if err != nil {
			return payloads, fmt.Errorf("codec: %w", err)
		}
		nonce := make([]byte, c.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				metaKeyID:                  []byte(c.keyID),
			},
			Data: c.aead.Seal(nonce, nonce, raw, []byte(c.keyID)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads and passes the others through (the
// codec endpoint shows them as they are; the worker uses Strict).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		keyID := string(p.GetMetadata()[metaKeyID])
		aead := c.aead
		if keyID != c.keyID {
			var ok bool
			if aead, ok = c.old[keyID]; !ok {
				return payloads, fmt.Errorf("codec: unknown key id %q", keyID)
			}
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return payloads, errors.New("codec: ciphertext too short")
		}
		raw, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(keyID))
		if err != nil {
			return payloads, fmt.Errorf("codec: cannot decrypt payload: %w", err)
		}
		dec := &commonpb.Payload{}
		if err := dec.Unmarshal(raw); err != nil {
			return payloads, fmt.Errorf("codec: %w", err)
		}
		out[i] = dec
	}
	return out, nil
}

// DataConverter is the SDK's default converter wrapped with the codec.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// Unencrypted is what a strict codec hands the workflows in place of a
// payload that arrived in clear: commands decode it as a refusal
// ({"unencrypted": true}), and nothing a sender wrote in clear is read.
var Unencrypted = []byte(`{"unencrypted":true}`)

// Strict wraps a codec for the worker: payloads that arrived unencrypted
// (a signal typed into the CLI or UI without the codec endpoint) are
// replaced by Unencrypted, so the workflows refuse them instead of acting on
// data nobody authenticated. Bare JSON strings and nil payloads pass, as in
// Encode: the SDK's own markers carry their names that way.
type Strict struct{ *Codec }

// Decode decrypts encrypted payloads and replaces the other ones.
func (s Strict) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out, err := s.Codec.Decode(payloads)
	if err != nil {
		return out, err
	}
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) == Encoding || plain(p) {
			continue
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)},
			Data:     Unencrypted,
		}
	}
	return out, nil
}

// DataConverter is the SDK's default converter wrapped with the strict
// codec.
func (s Strict) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), s)
}

// Stamp returns a codec that, before encrypting, writes field = value into
// every JSON object payload: the codec endpoint stamps the identity of the
// supervisor it authenticated into the commands it encrypts (signals), so
// the workflow acts as that supervisor, whatever the JSON said.
func (c *Codec) Stamp(field string, value any) converter.PayloadCodec {
	return stamper{c: c, field: field, value: value}
}

type stamper struct {
	c     *Codec
	field string
	value any
}

func (s stamper) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	stamped := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		stamped[i] = p
		if string(p.GetMetadata()[converter.MetadataEncoding]) != converter.MetadataEncodingJSON {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(p.GetData(), &obj) != nil || obj == nil {
			continue
		}
		v, err := json.Marshal(s.value)
		if err != nil {
			return payloads, err
		}
		obj[s.field] = v
		data, err := json.Marshal(obj)
		if err != nil {
			return payloads, err
		}
		stamped[i] = &commonpb.Payload{Metadata: p.GetMetadata(), Data: data}
	}
	return s.c.Encode(stamped)
}

func (s stamper) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return s.c.Decode(payloads)
}
