package main

import (
	"strings"
	"testing"
)

// TestAttackerRefusesBadInput: the attacker process opens nothing for a
// spec it cannot read or an address off loopback, and says why.
func TestAttackerRefusesBadInput(t *testing.T) {
	for _, c := range []struct{ spec, addr, want string }{
		{"slowloris=10", "192.0.2.1:80", "loopback"},
		{"slowloris=10", "localhost", "loopback"},
		{"flood=10", "127.0.0.1:1", "kind=count"},
		{"slowloris", "127.0.0.1:1", "kind=count"},
		{"idle=0", "127.0.0.1:1", "kind=count"},
		{"idle=1000000", "[::1]:1", "kind=count"},
	} {
		err := attackerMain(c.spec, c.addr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("attackerMain(%q, %q) = %v, want an error naming %q", c.spec, c.addr, err, c.want)
		}
	}
}

// TestKindNamesRoundTrip: every kind of the table has a name the attacker
// process reads back.
func TestKindNamesRoundTrip(t *testing.T) {
	for _, a := range attacks {
		for _, p := range a.parts {
			if n := kindName(p.kind); kindsByName[n].name != p.kind.name {
				t.Errorf("%s: kind %q has no name the attacker reads (%q)", a.name, p.kind.name, n)
			}
		}
	}
}
