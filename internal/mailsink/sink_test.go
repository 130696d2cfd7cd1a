package mailsink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esenzioni/adapters/mail"
)

const sender = "Esenzioni <promemoria@esenzioni.test>"

func startSink(t *testing.T) *Sink {
	t.Helper()
	s, err := Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

func client(s *Sink) *mail.SMTP {
	return &mail.SMTP{Addr: s.Addr(), From: sender}
}

func send(t *testing.T, s *Sink, to, subject, body, messageID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, client(s).Send(ctx, to, subject, body, messageID))
}

func TestSendThroughMailSMTP(t *testing.T) {
	s := startSink(t)
	subject := "La sua esenzione scadrà presto: perché è importante rinnovarla"
	body := "Gentile Mario Rossi,\n" +
		"la sua esenzione E01 è in scadenza il 15/03.\n" +
		"Città: Forlì — può rinnovarla allo sportello “Esenzioni”.\n" +
		strings.Repeat("Una riga lunga per forzare le soft line break del quoted-printable, àèéìòù. ", 3) + "\n"

	before := time.Now()
	send(t, s, "mario.rossi@example.it", subject, body, "<promemoria-42-30@esenzioni.test>")

	msgs := s.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, 1, m.ID)
	assert.Equal(t, []string{"mario.rossi@example.it"}, m.To)
	assert.Equal(t, "promemoria@esenzioni.test", m.EnvelopeFrom)
	assert.Contains(t, m.From, "promemoria@esenzioni.test")
	assert.Equal(t, subject, m.Subject)
	assert.Equal(t, body, m.Text)
	assert.Equal(t, "promemoria-42-30@esenzioni.test", m.MessageID)
	assert.Empty(t, m.ParseError)
	assert.WithinDuration(t, time.Now(), m.Date, time.Minute)
	assert.False(t, m.ReceivedAt.Before(before))
	assert.Equal(t, len(m.Raw), m.Size)

	// The decoding above was really exercised: go-mail encodes both.
	raw := string(m.Raw)
	assert.Contains(t, raw, "Content-Transfer-Encoding: quoted-printable")
	assert.Contains(t, raw, "=?UTF-8?q?")
	assert.NotContains(t, raw, "scadrà")
	assert.NotContains(t, raw, "Città")

	assert.Contains(t, m.Headers, Header{Name: "Subject", Value: subject})
	assert.Contains(t, m.Headers, Header{Name: "Message-ID", Value: "<promemoria-42-30@esenzioni.test>"})
}

func TestWaitFor(t *testing.T) {
	s := startSink(t)
	bySubject := func(subject string) func(Message) bool {
		return func(m Message) bool { return m.Subject == subject }
	}

	t.Run("message arriving later", func(t *testing.T) {
		go func() {
			time.Sleep(50 * time.Millisecond)
			_ = client(s).Send(context.Background(), "a@example.it", "Arriverà dopo", "corpo", "<dopo@esenzioni.test>")
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := s.WaitFor(ctx, bySubject("Arriverà dopo"))
		require.NoError(t, err)
		assert.Equal(t, "dopo@esenzioni.test", m.MessageID)
	})

	t.Run("message already received", func(t *testing.T) {
		send(t, s, "b@example.it", "Già arrivato", "corpo", "<gia@esenzioni.test>")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := s.WaitFor(ctx, bySubject("Già arrivato"))
		require.NoError(t, err)
		assert.Equal(t, []string{"b@example.it"}, m.To)

		m, err = s.WaitFor(ctx, nil) // any message: the oldest
		require.NoError(t, err)
		assert.Equal(t, "Arriverà dopo", m.Subject)
	})

	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		// Non-matching messages keep arriving meanwhile.
		sent := make(chan error, 1)
		go func() {
			sent <- client(s).Send(context.Background(), "c@example.it", "Un altro", "corpo", "<altro@esenzioni.test>")
		}()
		_, err := s.WaitFor(ctx, bySubject("Mai inviato"))
		assert.NoError(t, <-sent)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
	})

	t.Run("closed", func(t *testing.T) {
		s2, err := Start("")
		require.NoError(t, err)
		go func() {
			time.Sleep(50 * time.Millisecond)
			s2.Close()
		}()
		_, err = s2.WaitFor(context.Background(), nil)
		assert.ErrorIs(t, err, ErrClosed)
	})
}

func TestConcurrentSends(t *testing.T) {
	s := startSink(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			to := fmt.Sprintf("utente%d@example.it", i)
			errs <- client(s).Send(ctx, to, fmt.Sprintf("Promemoria n° %d", i), "Scadrà presto.\n", fmt.Sprintf("<p-%d@esenzioni.test>", i))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	msgs := s.Messages()
	require.Len(t, msgs, n)
	ids := map[string]bool{}
	for i, m := range msgs {
		assert.Equal(t, i+1, m.ID, "IDs are sequential, oldest first")
		ids[m.MessageID] = true
		var k int
		_, err := fmt.Sscanf(m.Subject, "Promemoria n° %d", &k)
		require.NoError(t, err)
		assert.Equal(t, []string{fmt.Sprintf("utente%d@example.it", k)}, m.To)
		assert.Equal(t, fmt.Sprintf("p-%d@esenzioni.test", k), m.MessageID)
		assert.Equal(t, "Scadrà presto.\n", m.Text)
	}
	assert.Len(t, ids, n)
}

func TestCloseStopsListening(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	require.NoError(t, err)
	addr := s.Addr()
	send(t, s, "a@example.it", "Prima della chiusura", "corpo", "<prima@esenzioni.test>")

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
	}
	assert.Error(t, err, "nothing listens after Close")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	assert.Error(t, client(s).Send(ctx, "a@example.it", "Dopo", "corpo", "<dopo@esenzioni.test>"))

	// The messages stay readable.
	require.Len(t, s.Messages(), 1)
	m, err := s.WaitFor(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "Prima della chiusura", m.Subject)
}

func TestCloseRightAfterStart(t *testing.T) {
	for range 20 {
		s, err := Start("")
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- s.Close() }()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Close hangs")
		}
	}
}

func TestResetAndCopies(t *testing.T) {
	s := startSink(t)
	send(t, s, "a@example.it", "Uno", "corpo", "<uno@esenzioni.test>")

	msgs := s.Messages()
	msgs[0].To[0] = "modificato@example.it"
	msgs[0].Raw[0] = 'X'
	again := s.Messages()
	assert.Equal(t, "a@example.it", again[0].To[0], "Messages returns copies")
	assert.NotEqual(t, byte('X'), again[0].Raw[0])

	s.Reset()
	assert.Empty(t, s.Messages())
	_, ok := s.Message(1)
	assert.False(t, ok)

	send(t, s, "b@example.it", "Due", "corpo", "<due@esenzioni.test>")
	msgs = s.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, 2, msgs[0].ID, "IDs are not reused after Reset")
	m, ok := s.Message(2)
	require.True(t, ok)
	assert.Equal(t, "Due", m.Subject)
}

func TestBounded(t *testing.T) {
	s := newSink(MaxMessages, MaxStoredBytes)
	raw := []byte("Subject: x\r\n\r\ncorpo\r\n")
	for range MaxMessages + 5 {
		s.store("a@example.it", []string{"b@example.it"}, raw)
	}
	msgs := s.Messages()
	require.Len(t, msgs, MaxMessages)
	assert.Equal(t, 6, msgs[0].ID, "the oldest are dropped")
	assert.Equal(t, MaxMessages+5, msgs[len(msgs)-1].ID)
	assert.Equal(t, MaxMessages*len(raw), s.bytes)

	// The byte budget drops old messages too, but keeps the newest even
	// when it alone exceeds the budget.
	s = newSink(10, 100)
	msg := func(size int) []byte {
		return []byte("Subject: x\r\n\r\n" + strings.Repeat("a", size-14))
	}
	s.store("a@example.it", nil, msg(40))
	s.store("a@example.it", nil, msg(40))
	require.Len(t, s.Messages(), 2)
	s.store("a@example.it", nil, msg(40))
	msgs = s.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, 2, msgs[0].ID)
	assert.Equal(t, 80, s.bytes)
	s.store("a@example.it", nil, msg(150))
	msgs = s.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, 4, msgs[0].ID)
	assert.Equal(t, 150, msgs[0].Size)
	assert.Equal(t, 150, s.bytes)
}

func TestMessageTooLarge(t *testing.T) {
	s := startSink(t)
	body := "Subject: enorme\r\n\r\n" + strings.Repeat(strings.Repeat("a", 99)+"\r\n", MaxMessageBytes/100+10)
	c, err := smtp.Dial(s.Addr())
	require.NoError(t, err)
	defer c.Close()
	size, ok := c.MaxMessageSize()
	assert.True(t, ok)
	assert.Equal(t, MaxMessageBytes, size, "SIZE is advertised")
	err = c.SendMail("a@example.it", []string{"b@example.it"}, strings.NewReader(body))
	var smtpErr *smtp.SMTPError
	require.True(t, errors.As(err, &smtpErr), "got %v", err)
	assert.Equal(t, 552, smtpErr.Code)
	assert.Empty(t, s.Messages())

	// The server still works afterwards.
	send(t, s, "a@example.it", "Normale", "corpo", "<normale@esenzioni.test>")
	assert.Len(t, s.Messages(), 1)
}
