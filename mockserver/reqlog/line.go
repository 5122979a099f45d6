package reqlog

import (
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Line is one request of the mock's request log.
type Line struct {
	Time     time.Time
	Method   string
	Path     string // the path only: a query may carry a credential
	Status   int
	Duration time.Duration
	Bytes    int
	Decision string // what decided the answer: an example, an auth rule, ...
}

// Format is how lines are written.
type Format int

const (
	// Text writes key=value pairs.
	Text Format = iota
	// JSON writes one JSON object per line.
	JSON
)

// Append appends l, and a newline, to b in format f: the same bytes as
// log/slog's TextHandler or JSONHandler write for the record
//
//	logger.LogAttrs(ctx, slog.LevelInfo, "request", method, path, status, duration, bytes, decision)
//
// (a test compares them), without slog's per-record cost, which was most of
// the mock's own CPU under load.
func (l Line) Append(b []byte, f Format) []byte {
	b = l.appendTime(b, f)
	b = l.appendHead(b, f)
	b = l.appendDuration(b, f)
	return l.appendTail(b, f)
}

// A line is four parts: the time; the head, from the level to the
// duration's key (method, path and status); the duration; the tail (bytes
// and decision). Logger keeps the heads and tails it wrote last: under load
// one request is logged again and again, and quoting its strings was most
// of a line's cost.

func (l *Line) appendTime(b []byte, f Format) []byte {
	if f == JSON {
		b = append(b, '{')
		if !l.Time.IsZero() { // slog leaves a zero time out
			b = append(b, `"time":"`...)
			b = l.Time.AppendFormat(b, time.RFC3339Nano)
			b = append(b, `",`...)
		}
		return b
	}
	if !l.Time.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, l.Time)
		b = append(b, ' ')
	}
	return b
}

func (l *Line) appendHead(b []byte, f Format) []byte {
	if f == JSON {
		b = append(b, `"level":"INFO","msg":"request","method":"`...)
		b = appendJSONString(b, l.Method)
		b = append(b, `","path":"`...)
		b = appendJSONString(b, l.Path)
		b = append(b, `","status":`...)
		b = strconv.AppendInt(b, int64(l.Status), 10)
		return append(b, `,"duration":`...)
	}
	b = append(b, "level=INFO msg=request method="...)
	b = appendText(b, l.Method)
	b = append(b, " path="...)
	b = appendText(b, l.Path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(l.Status), 10)
	return append(b, " duration="...)
}

func (l *Line) appendDuration(b []byte, f Format) []byte {
	if f == JSON {
		return strconv.AppendInt(b, int64(l.Duration), 10)
	}
	return append(b, l.Duration.String()...)
}

func (l *Line) appendTail(b []byte, f Format) []byte {
	if f == JSON {
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, int64(l.Bytes), 10)
		b = append(b, `,"decision":"`...)
		b = appendJSONString(b, l.Decision)
		return append(b, "\"}\n"...)
	}
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(l.Bytes), 10)
	b = append(b, " decision="...)
	b = appendText(b, l.Decision)
	return append(b, '\n')
}

// Logger writes lines to a writer, one Write call per line. Safe for
// concurrent use when the writer is (Writer is).
type Logger struct {
	w      io.Writer
	format Format
	bufs   sync.Pool
	heads  partCache
	tails  partCache
}

// NewLogger writes lines in format to w.
func NewLogger(w io.Writer, format Format) *Logger {
	return &Logger{w: w, format: format, bufs: sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}}
}

// Log writes l.
func (lg *Logger) Log(l Line) {
	bp := lg.bufs.Get().(*[]byte)
	b := l.appendTime((*bp)[:0], lg.format)
	b = lg.heads.append(b, partKey{s: l.Method, s2: l.Path, n: l.Status}, func(b []byte) []byte { return l.appendHead(b, lg.format) })
	b = l.appendDuration(b, lg.format)
	b = lg.tails.append(b, partKey{s: l.Decision, n: l.Bytes}, func(b []byte) []byte { return l.appendTail(b, lg.format) })
	_, _ = lg.w.Write(b)
	*bp = b
	lg.bufs.Put(bp)
}

// partKey is what a head (method, path, status) or a tail (decision,
// bytes) is written from.
type partKey struct {
	s, s2 string
	n     int
}

// partCache keeps the last few parts written, found by their key.
// Lock-free: an entry is replaced whole. A part is kept the second time
// its key comes in a row of misses, so that lines that never repeat (a
// flood of random paths) do not allocate an entry each.
type partCache struct {
	slots [4]atomic.Pointer[cachedPart]
	next  atomic.Uint32
	last  atomic.Uint64 // the hash of the last miss's key
}

// hash is FNV-1a over the key: it only tells a repeated miss from a new one.
func (k *partKey) hash() uint64 {
	h := uint64(14695981039346656037)
	for _, s := range [2]string{k.s, k.s2} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211
	}
	return (h ^ uint64(k.n)) * 1099511628211
}

type cachedPart struct {
	key  partKey
	text []byte
}

func (c *partCache) append(b []byte, k partKey, write func([]byte) []byte) []byte {
	for i := range c.slots {
		if p := c.slots[i].Load(); p != nil && p.key == k {
			return append(b, p.text...)
		}
	}
	n := len(b)
	b = write(b)
	if h := k.hash(); c.last.Swap(h) != h {
		return b
	}
	c.slots[c.next.Add(1)%uint32(len(c.slots))].Store(&cachedPart{key: k, text: slices.Clone(b[n:])})
	return b
}

// appendRFC3339Millis is slog's text time: RFC 3339 with exactly three
// digits of milliseconds. The date, clock and zone of the last second seen
// are kept formatted: under load every line of a second shares them, and
// formatting them was a third of a line's cost.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	c := lastSecond.Load()
	if c == nil || c.sec != sec || c.loc != loc {
		c = &formattedSecond{sec: sec, loc: loc}
		c.clock = t.AppendFormat(nil, "2006-01-02T15:04:05")
		c.zone = t.AppendFormat(nil, "Z07:00")
		lastSecond.Store(c)
	}
	ms := t.Nanosecond() / int(time.Millisecond)
	b = append(b, c.clock...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, c.zone...)
}

// formattedSecond is one second's date and clock, and its zone, formatted.
type formattedSecond struct {
	sec         int64
	loc         *time.Location
	clock, zone []byte
}

var lastSecond atomic.Pointer[formattedSecond]

// appendText writes s as slog's text handler does: bare when it is safe,
// else Go-quoted. Printable ASCII without a quote or a backslash (the
// mock's decisions: "example 200/success") is quoted as it is, which is
// what strconv.AppendQuote writes for it, without its per-rune work.
func appendText(b []byte, s string) []byte {
	// The usual values (a method, a path, a decision) are printable ASCII
	// without a quote or a backslash: one pass over a table decides them.
	var class uint8
	for i := 0; i < len(s); i++ {
		class |= textByte[s[i]]
	}
	if s != "" && class == 0 {
		return append(b, s...)
	}
	if s != "" && class == 1 { // a space or '=': quoted as they are
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	if !needsQuoting(s) {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// textByte classifies a byte for appendText: 0 written as it is, 1 (space,
// '=') quoted as it is, 2 anything else (needsQuoting and strconv decide).
var textByte = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == ' ' || c == '=':
			t[c] = 1
		case c < 0x20 || c > 0x7e || c == '"' || c == '\\':
			t[c] = 2
		}
	}
	return t
}()

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != '\\' && (c == ' ' || c == '=' || !jsonSafe(c)) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// jsonSafe: an ASCII byte that a JSON string holds unescaped.
func jsonSafe(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }

const hexDigits = "0123456789abcdef"

// appendJSONString escapes s for a JSON string as slog does (control
// characters, quote, backslash, invalid UTF-8 and U+2028/U+2029).
func appendJSONString(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
