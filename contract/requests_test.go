package contract

import (
	"reflect"
	"testing"
)

func TestWithHeader(t *testing.T) {
	r := post("x", auth("Bearer tok-123456789"))
	got := withHeader(r, "accept", "text/html").Header
	want := [][2]string{{"accept", "text/html"}, {"Authorization", "Bearer tok-123456789"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replace: %v", got)
	}
	got = withHeader(r, "X-New", "1").Header
	if len(got) != 3 || got[2] != [2]string{"X-New", "1"} {
		t.Errorf("add: %v", got)
	}
	if len(r.Header) != 2 || r.Header[0][1] != "application/json" {
		t.Errorf("the original request changed: %v", r.Header)
	}
}
