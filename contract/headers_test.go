package contract

import (
	"reflect"
	"strings"
	"testing"
)

func TestJSONMediaType(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"application/json", "application/json", true},
		{"application/json; charset=utf-8", "application/json", true},
		{"Application/JSON;charset=UTF-8", "application/json", true},
		{"application/problem+json", "application/problem+json", true},
		{"text/plain", "text/plain", false},
		{"application/jsonx", "application/jsonx", false},
		{"text/json", "text/json", false},
		{"", "", false},
		{"application/json; charset", "", false}, // malformed parameter
		{";;;", "", false},
	}
	for _, tt := range tests {
		got, ok := JSONMediaType(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("JSONMediaType(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCacheDirectives(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"no-store"}, "no-store"},
		{[]string{"No-Store, max-age=0"}, "no-store,max-age"},
		{[]string{"private", "no-store"}, "private,no-store"},
		{[]string{`no-cache="Set-Cookie, X-Foo", must-revalidate`}, "no-cache,must-revalidate"},
		{[]string{"no-storex"}, "no-storex"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(CacheDirectives(tt.in), ","); got != tt.want {
			t.Errorf("CacheDirectives(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []Challenge
	}{
		{"bare scheme", []string{"Bearer"}, []Challenge{{Scheme: "Bearer", Params: map[string]string{}}}},
		{"realm and error", []string{`Bearer realm="flashback", error="invalid_token"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "flashback", "error": "invalid_token"}}}},
		{"unquoted value, case of names", []string{`bearer Realm=x, ERROR=invalid_token`},
			[]Challenge{{Scheme: "bearer", Params: map[string]string{"realm": "x", "error": "invalid_token"}}}},
		{"comma inside quotes", []string{`Bearer realm="a, b", error_description="x, y"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "a, b", "error_description": "x, y"}}}},
		{"two challenges in one field", []string{`Basic realm="b", Bearer realm="f", error="invalid_token"`},
			[]Challenge{
				{Scheme: "Basic", Params: map[string]string{"realm": "b"}},
				{Scheme: "Bearer", Params: map[string]string{"realm": "f", "error": "invalid_token"}},
			}},
		{"two fields", []string{`Basic realm="b"`, `Bearer`},
			[]Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "b"}}, {Scheme: "Bearer", Params: map[string]string{}}}},
		{"token68", []string{`Negotiate abc==`}, []Challenge{{Scheme: "Negotiate", Token68: "abc==", Params: map[string]string{}}}},
		{"escaped quote", []string{`Bearer realm="say \"hi\""`}, []Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": `say "hi"`}}}},
		{"empty", []string{""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseChallenges(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseChallenges(%q) =\n  %#v\nwant\n  %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("x", ExcerptBytes-1) + "ä" + "tail"
	tests := []struct{ in, want string }{
		{"", "(empty)"},
		{`{"a":1}`, `"{\"a\":1}"`},
		{strings.Repeat("y", 400), `"` + strings.Repeat("y", ExcerptBytes) + `" … (100 more bytes)`},
		// ä straddles the cut: it is dropped whole, not split.
		{long, `"` + strings.Repeat("x", ExcerptBytes-1) + `" … (6 more bytes)`},
	}
	for _, tt := range tests {
		if got := Excerpt([]byte(tt.in)); got != tt.want {
			t.Errorf("Excerpt(%.20q…) = %.80q…, want %.80q…", tt.in, got, tt.want)
		}
	}
}

func TestMaskCookie(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sid=abc123; Path=/; HttpOnly", "sid=<6 bytes, not shown>; Path=/; HttpOnly"},
		{"sid=", "sid=<0 bytes, not shown>"},
		{"token=x.y.z", "token=<5 bytes, not shown>"},
	}
	for _, tt := range tests {
		if got := maskCookie(tt.in); got != tt.want {
			t.Errorf("maskCookie(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
