// Package mailsink is an in-process SMTP server that accepts every message
// and keeps it in memory instead of delivering it. It stands in for the
// production relay (Mailpit in docker compose) when the application runs
// locally without Docker (`esenzioni dev`) and in integration tests, which
// use WaitFor to observe the reminders the application sends.
//
// The sink speaks plain SMTP without authentication and never delivers
// anything. Handler returns a small HTML viewer of the stored messages.
package mailsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

const (
	// MaxMessages is how many messages the sink keeps; older ones are
	// dropped first.
	MaxMessages = 1000
	// MaxStoredBytes bounds the total raw size of the stored messages;
	// older ones are dropped first (the newest message is always kept).
	MaxStoredBytes = 100 << 20
	// MaxMessageBytes is the largest message the SMTP server accepts.
	MaxMessageBytes = 10 << 20
	// MaxRecipients is the largest number of RCPT TO per message.
	MaxRecipients = 100
)

// ErrClosed is returned by WaitFor when the sink is closed before a matching
// message arrives.
var ErrClosed = errors.New("mailsink: closed")

// Message is an email received by the sink, parsed enough to be shown.
type Message struct {
	// ID is a sequence number starting at 1; it is never reused, not even
	// after Reset, so a link to a message that was dropped gives 404
	// instead of another message.
	ID         int       `json:"id"`
	ReceivedAt time.Time `json:"receivedAt"`
	// EnvelopeFrom is the MAIL FROM address (the return path).
	EnvelopeFrom string `json:"envelopeFrom"`
	// To holds the envelope recipients (RCPT TO), in order.
	To []string `json:"to"`
	// From is the From header, with RFC 2047 encoded words decoded.
	From string `json:"from"`
	// Subject is the Subject header, with RFC 2047 encoded words decoded.
	Subject string `json:"subject"`
	// MessageID is the Message-ID header without the angle brackets.
	MessageID string `json:"messageId"`
	// Date is the Date header; zero when missing or unparsable.
	Date time.Time `json:"date,omitzero"`
	// Text is the decoded text/plain body (the single part, or the first
	// text/plain part of a multipart message), converted to UTF-8 with
	// "\n" line endings. Empty when the message has no text/plain part.
	Text string `json:"text"`
	// Headers lists the header fields in their original order, values
	// unfolded and RFC 2047 decoded.
	Headers []Header `json:"headers"`
	// Size is the size in bytes of the raw message.
	Size int `json:"size"`
	// ParseError describes why the message could not be fully parsed;
	// the fields that could be read are still filled in.
	ParseError string `json:"parseError,omitempty"`
	// Raw is the message exactly as received (CRLF line endings, dot
	// stuffing removed).
	Raw []byte `json:"-"`
}

// Header is one header field of a Message.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (m Message) clone() Message {
	m.To = slices.Clone(m.To)
	m.Headers = slices.Clone(m.Headers)
	m.Raw = slices.Clone(m.Raw)
	return m
}

// Sink is an SMTP server that stores the messages it receives in memory.
// Create it with Start. All its methods are safe for concurrent use.
type Sink struct {
	server   *smtp.Server
	listener net.Listener
	served   chan struct{} // closed when Serve returns

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{}

	maxMessages, maxBytes int // storage bounds

	mu       sync.Mutex
	messages []Message     // oldest first
	bytes    int           // total len(Raw) of messages
	nextID   int           // ID of the next message
	changed  chan struct{} // closed and replaced whenever a message is added
}

// Start listens on addr (host:port; "127.0.0.1:0" picks a free port, and
// an empty addr means that) and serves SMTP in the background until Close.
func Start(addr string) (*Sink, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mailsink: listen on %s: %w", addr, err)
	}
	s := newSink(MaxMessages, MaxStoredBytes)
	s.listener = l
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = MaxMessageBytes
	srv.MaxRecipients = MaxRecipients
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = 30 * time.Second
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = log.New(os.Stderr, "mailsink: ", log.LstdFlags)
	s.server = srv
	go func() {
		defer close(s.served)
		if err := srv.Serve(l); err != nil {
			srv.ErrorLog.Printf("serve: %v", err)
		}
	}()
	return s, nil
}

func newSink(maxMessages, maxBytes int) *Sink {
	return &Sink{
		served:      make(chan struct{}),
		closed:      make(chan struct{}),
		maxMessages: maxMessages,
		maxBytes:    maxBytes,
		nextID:      1,
		changed:     make(chan struct{}),
	}
}

// Addr is the address the SMTP server listens on (host:port), suitable as
// mail.SMTP.Addr.
func (s *Sink) Addr() string {
	return s.listener.Addr().String()
}

// Close stops listening, drops the open connections and wakes up WaitFor
// callers. The stored messages stay readable. Calling Close again is a no-op.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		err := s.server.Close()
		// Serve may not have registered the listener with the server yet.
		if lerr := s.listener.Close(); err == nil {
			err = lerr
		}
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		<-s.served
		s.closeErr = err
	})
	return s.closeErr
}

// Messages returns a copy of the stored messages, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = m.clone()
	}
	return out
}

// Message returns the stored message with the given ID.
func (s *Sink) Message(id int) (Message, bool) {
	m, ok := s.lookup(id)
	if !ok {
		return Message{}, false
	}
	return m.clone(), true
}

// Reset discards all stored messages. IDs keep growing.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
	s.bytes = 0
}

// WaitFor returns the oldest stored message for which match returns true
// (a nil match accepts any message), waiting for one to arrive if none has
// yet. It fails with ctx's error when ctx ends first, and with ErrClosed
// when the sink is closed first. match is called without locks held and
// must not block.
func (s *Sink) WaitFor(ctx context.Context, match func(Message) bool) (Message, error) {
	from := 0 // the messages with a lower ID have been checked already
	for {
		s.mu.Lock()
		var pending []Message
		for _, m := range s.messages {
			if m.ID >= from {
				pending = append(pending, m)
			}
		}
		from = s.nextID
		changed := s.changed
		s.mu.Unlock()

		for _, m := range pending {
			if match == nil || match(m.clone()) {
				return m.clone(), nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		case <-s.closed:
			// Messages stored just before Close still count.
			s.mu.Lock()
			more := s.nextID != from
			s.mu.Unlock()
			if !more {
				return Message{}, ErrClosed
			}
		}
	}
}

// snapshot returns the stored messages newest first, sharing their
// contents; callers must not modify them.
func (s *Sink) snapshot() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.messages)
	slices.Reverse(out)
	return out
}

func (s *Sink) lookup(id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := slices.BinarySearchFunc(s.messages, id, func(m Message, id int) int { return m.ID - id })
	if !ok {
		return Message{}, false
	}
	return s.messages[i], true
}

// store parses a received message and keeps it, dropping the oldest ones
// beyond MaxMessages / MaxStoredBytes.
func (s *Sink) store(from string, to []string, raw []byte) {
	m := parseMessage(raw)
	m.ReceivedAt = time.Now()
	m.EnvelopeFrom = from
	m.To = to

	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID = s.nextID
	s.nextID++
	s.messages = append(s.messages, m)
	s.bytes += len(raw)
	drop := 0
	for len(s.messages)-drop > s.maxMessages || (s.bytes > s.maxBytes && len(s.messages)-drop > 1) {
		s.bytes -= len(s.messages[drop].Raw)
		drop++
	}
	if drop > 0 {
		clear(s.messages[:drop]) // release the dropped messages
		s.messages = s.messages[drop:]
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// session is one SMTP transaction sequence on a connection.
type session struct {
	sink *Sink
	from string
	to   []string
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // ErrDataTooLarge or a connection error
	}
	ss.sink.store(ss.from, slices.Clone(ss.to), raw)
	return nil
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }
