package benchdata

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// chunkSize is how many bytes of rows a stream gathers before handing them
// to its COPY; queueDepth chunks may wait, which bounds the memory of a
// stream (queueDepth+2 chunks) and lets generation run ahead of a busy
// backend without ever holding more than a few megabytes.
const (
	chunkSize  = 256 << 10
	queueDepth = 8
)

// pipe is io.Pipe with a bounded buffer: the writer hands over whole chunks
// and blocks only when queueDepth of them are waiting, so one slow COPY does
// not stall the generator feeding the others. Like io.Pipe, it never returns
// data together with an error, which pgdriver.CopyFrom relies on.
type pipe struct {
	ch   chan []byte
	free chan []byte
	done chan struct{} // closed by the reader on failure

	mu     sync.Mutex
	werr   error  // writer's close error (nil = io.EOF)
	rerr   error  // reader's close error
	chunk  []byte // the chunk being read, recycled once consumed
	cur    []byte // its unread part
	closed bool
}

func newPipe() *pipe {
	return &pipe{ch: make(chan []byte, queueDepth), free: make(chan []byte, queueDepth+2), done: make(chan struct{})}
}

// Read implements io.Reader for pgdriver.CopyFrom.
func (p *pipe) Read(b []byte) (int, error) {
	if len(p.cur) == 0 {
		if p.chunk != nil {
			p.recycle(p.chunk)
			p.chunk = nil
		}
		chunk, ok := <-p.ch
		if !ok {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.werr != nil {
				return 0, p.werr
			}
			return 0, io.EOF
		}
		p.chunk, p.cur = chunk, chunk
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

func (p *pipe) recycle(b []byte) {
	if cap(b) < chunkSize {
		return
	}
	select {
	case p.free <- b[:0]:
	default:
	}
}

// buffer returns an empty chunk to fill.
func (p *pipe) buffer() []byte {
	select {
	case b := <-p.free:
		return b
	default:
		return make([]byte, 0, chunkSize+4096)
	}
}

// send hands a full chunk to the reader.
func (p *pipe) send(ctx context.Context, b []byte) error {
	select {
	case p.ch <- b:
		return nil
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.rerr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeWrite ends the stream: err nil means success (the reader sees EOF).
func (p *pipe) closeWrite(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.werr = err
	close(p.ch)
}

// closeRead stops the writer with err (the COPY failed).
func (p *pipe) closeRead(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rerr != nil {
		return
	}
	p.rerr = err
	close(p.done)
}

// stream is one table's COPY FROM STDIN fed by the generator in the text
// format: rows are appended field by field into the current chunk.
type stream struct {
	table string
	cols  []string
	p     *pipe
	buf   []byte
	sep   bool // a field was written on the current row
	rows  int64
	err   error // first send error: the generator stops on it

	started time.Time
	result  chan streamResult
}

type streamResult struct {
	rows    int64
	elapsed time.Duration
	err     error
}

// startCopy opens the COPY of table on a connection of its own and returns
// the stream to fill. The connection runs with synchronous_commit off.
func startCopy(ctx context.Context, db *bun.DB, table string, cols []string) (*stream, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("benchdata: connection for %s: %w", table, err)
	}
	if _, err := conn.ExecContext(ctx, "SET synchronous_commit = off"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("benchdata: %s: %w", table, err)
	}
	s := &stream{table: table, cols: cols, p: newPipe(), started: time.Now(), result: make(chan streamResult, 1)}
	s.buf = s.p.buffer()
	query := fmt.Sprintf("COPY %s (%s) FROM STDIN", table, strings.Join(cols, ", "))
	go func() {
		res, err := pgdriver.CopyFrom(ctx, conn, s.p, query)
		var n int64
		if err == nil {
			n, _ = res.RowsAffected()
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "RESET synchronous_commit")
		} else {
			err = fmt.Errorf("benchdata: COPY %s: %w", table, err)
			s.p.closeRead(err)
			// The protocol may be mid-COPY: never give this connection back.
			_ = conn.Raw(func(dc any) error {
				if c, ok := dc.(io.Closer); ok {
					_ = c.Close()
				}
				return driver.ErrBadConn
			})
		}
		conn.Close()
		s.result <- streamResult{rows: n, elapsed: time.Since(s.started), err: err}
	}()
	return s, nil
}

// wait returns the outcome of the COPY once the stream is closed.
func (s *stream) wait() streamResult { return <-s.result }

// end finishes the current row; it flushes the chunk when full.
func (s *stream) end(ctx context.Context) {
	s.buf = append(s.buf, '\n')
	s.sep = false
	s.rows++
	if len(s.buf) >= chunkSize {
		if s.err != nil {
			s.buf = s.buf[:0] // the COPY failed: the generator stops at its next check
			return
		}
		s.flush(ctx)
	}
}

func (s *stream) flush(ctx context.Context) {
	if len(s.buf) == 0 || s.err != nil {
		return
	}
	if err := s.p.send(ctx, s.buf); err != nil {
		s.err = err
		return
	}
	s.buf = s.p.buffer()
}

// close flushes and ends the stream; a non-nil cause aborts the COPY.
func (s *stream) close(ctx context.Context, cause error) {
	if cause == nil {
		s.flush(ctx)
		cause = s.err
	}
	s.p.closeWrite(cause)
}

func (s *stream) field() {
	if s.sep {
		s.buf = append(s.buf, '\t')
	}
	s.sep = true
}

// str writes a text field, escaped for COPY's text format.
func (s *stream) str(v string) {
	s.field()
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			s.buf = append(s.buf, '\\', '\\')
		case '\t':
			s.buf = append(s.buf, '\\', 't')
		case '\n':
			s.buf = append(s.buf, '\\', 'n')
		case '\r':
			s.buf = append(s.buf, '\\', 'r')
		default:
			s.buf = append(s.buf, c)
		}
	}
}

// raw writes a field known to need no escaping (codes, digits).
func (s *stream) raw(v string) {
	s.field()
	s.buf = append(s.buf, v...)
}

func (s *stream) bytes(v []byte) {
	s.field()
	s.buf = append(s.buf, v...)
}

func (s *stream) null() {
	s.field()
	s.buf = append(s.buf, '\\', 'N')
}

func (s *stream) int(v int64) {
	s.field()
	s.buf = strconv.AppendInt(s.buf, v, 10)
}

func (s *stream) bool(v bool) {
	s.field()
	if v {
		s.buf = append(s.buf, 't')
	} else {
		s.buf = append(s.buf, 'f')
	}
}

// date writes the calendar date of d (which carries it at midnight UTC).
func (s *stream) date(d time.Time) {
	s.field()
	y, m, dd := d.Date()
	s.buf = appendDate(s.buf, y, int(m), dd)
}

// ts writes an instant as UTC with microseconds.
func (s *stream) ts(t time.Time) {
	s.field()
	t = t.UTC()
	y, m, d := t.Date()
	s.buf = appendDate(s.buf, y, int(m), d)
	hh, mm, ss := t.Clock()
	s.buf = append(s.buf, ' ')
	s.buf = append2(s.buf, hh)
	s.buf = append(s.buf, ':')
	s.buf = append2(s.buf, mm)
	s.buf = append(s.buf, ':')
	s.buf = append2(s.buf, ss)
	us := t.Nanosecond() / 1000
	s.buf = append(s.buf, '.')
	for div := 100000; div >= 1; div /= 10 {
		s.buf = append(s.buf, byte('0'+us/div%10))
	}
	s.buf = append(s.buf, '+', '0', '0')
}

func appendDate(b []byte, y, m, d int) []byte {
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10%10), byte('0'+v%10)) }
