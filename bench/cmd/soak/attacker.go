package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The attacker is a process of its own, started at the lowest CPU priority
// (nice 19) when nice(1) is there: an attacker on another machine spends
// none of the server's CPU, and on this one it would otherwise take the
// server's and the normal clients' share (10 000 goroutines dripping a
// byte a second in the clients' own Go scheduler delayed them by tens of
// milliseconds, for the mock and bare net/http alike). The kernel's accept
// queue, the connections and the bytes the server reads stay as they were.

// kindsByName are the hostile kinds the attacker process can open.
var kindsByName = map[string]hostileKind{"idle": idleKeepAlive, "silent": silent, "slowloris": slowloris, "bomb": headerBomb}

func kindName(k hostileKind) string {
	for n, kk := range kindsByName {
		if kk.name == k.name {
			return n
		}
	}
	return ""
}

// startAttacker runs this program as the attacker of a (kind=count,...)
// against addr, and returns once the connections are open (how many) and
// a function that closes them and waits for the process to end.
func startAttacker(ctx context.Context, addr string, parts []hostilePart) (opened int, niced bool, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, false, nil, err
	}
	var spec []string
	for _, p := range parts {
		spec = append(spec, kindName(p.kind)+"="+strconv.Itoa(p.n))
	}
	argv := []string{self, "-attacker", strings.Join(spec, ","), "-attacker-addr", addr}
	if nice, err := exec.LookPath("nice"); err == nil {
		argv, niced = append([]string{nice, "-n", "19"}, argv...), true
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return 0, false, nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return 0, false, nil, err
	}
	if err := cmd.Start(); err != nil {
		return 0, false, nil, err
	}
	stop = func() {
		_ = in.Close() // the attacker closes its connections and exits
		waitOrKill(cmd, 30*time.Second)
	}
	// Its one line: "open N", once the connections are doing their harm
	// (it stops opening after two minutes by itself).
	line, err := bufio.NewReader(outPipe).ReadString('\n')
	if err == nil {
		_, err = fmt.Sscanf(line, "open %d", &opened)
	}
	if err != nil {
		stop()
		return 0, niced, nil, fmt.Errorf("the attacker process: %v (%q)", err, line)
	}
	return opened, niced, stop, nil
}

// attackerMain is the attacker process: it opens the connections of spec
// against addr (loopback only), prints "open N" and holds them until its
// standard input closes, or for three minutes at most.
func attackerMain(spec, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-attacker-addr %q: want a loopback address and a port", addr)
	}
	var parts []hostilePart
	for _, s := range strings.Split(spec, ",") {
		name, count, ok := strings.Cut(s, "=")
		k, known := kindsByName[name]
		n, err := strconv.Atoi(count)
		if !ok || !known || err != nil || n < 1 || n > 100_000 {
			return fmt.Errorf("-attacker %q: want kind=count,... (kinds: idle, silent, slowloris, bomb; 1 <= count <= 100000)", s)
		}
		parts = append(parts, hostilePart{k, n})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	openCtx, stopOpening := context.WithTimeout(ctx, 2*time.Minute)
	defer stopOpening()
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, p := range parts {
		for range p.n {
			if openCtx.Err() != nil {
				break
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if c, err := p.kind.open(ctx, addr); err == nil {
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	fmt.Printf("open %d\n", len(conns))
	released := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(released) }()
	select {
	case <-released:
	case <-ctx.Done():
	}
	cancel()
	for _, c := range conns {
		c.Close()
	}
	return nil
}
