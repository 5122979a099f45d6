package testkit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ReadyURL matches the ready line revoke-mock (and revoke-mock proxy)
// prints once it listens, in either log format: text (url=http://...) or
// JSON ("url":"http://..."). The URL is the first non-empty submatch.
var ReadyURL = regexp.MustCompile(`url=(http://[0-9.:\[\]]+)|"url":"(http://[0-9.:\[\]]+)"`)

// Wait bounds, generous for a loaded 2-core machine: they bound a failure,
// a passing test never waits for them.
const (
	DefaultReadyTimeout = 60 * time.Second // Start: until the ready line
	DefaultStopTimeout  = 15 * time.Second // Stop: after SIGTERM, before SIGKILL
)

// Options say how Start runs a program.
type Options struct {
	Argv []string // the program and its arguments
	Dir  string   // working folder; "" is the test's
	Env  []string // environment; nil is the test's

	// LogPath is the file that receives the program's stdout and stderr;
	// "" is a new file in a temporary folder of the test.
	LogPath string

	// Ready matches the line that says the program is ready; its first
	// non-empty submatch, if any, is Process.URL. nil is ReadyURL.
	Ready *regexp.Regexp
	// Probe, when set, is asked instead of reading the output: the program
	// is ready when it returns true (a program that prints no ready line,
	// such as Prism, is probed over HTTP). Process.URL is then "".
	Probe func() bool
	// ReadyTimeout bounds the wait until it is ready; 0 is
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL; 0 is
	// DefaultStopTimeout.
	StopTimeout time.Duration
}

// Process is a program Start started, in a process group of its own.
type Process struct {
	Cmd     *exec.Cmd
	URL     string // from the ready line
	LogPath string // its stdout and stderr

	exited      chan struct{}
	err         error // cmd.Wait's, once exited is closed
	stopOnce    sync.Once
	stopTimeout time.Duration
}

// StartMock runs the revoke-mock binary at bin on a free loopback port
// (--port 0) with args, where args may begin with a subcommand ("proxy"),
// and returns it once its ready line names the URL (Process.URL). It is
// stopped at the end of the test (see Stop).
func StartMock(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	return Start(t, Options{Argv: MockArgv(bin, args...)})
}

// MockArgv is the command line of revoke-mock at bin with args on a free
// port: --port 0 after the subcommand, if args begin with one.
func MockArgv(bin string, args ...string) []string {
	argv := []string{bin}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		argv, args = append(argv, args[0]), args[1:]
	}
	return append(append(argv, "--port", "0"), args...)
}

// Start runs o.Argv with its output in o.LogPath, in a process group of its
// own that dies with the test binary (Pdeathsig), and waits until a line of
// its output matches o.Ready (or o.Probe holds): it fails the test if the
// program exits first or the time runs out, showing what the program
// wrote. The process is stopped at the end of the test (see Stop).
func Start(t testing.TB, o Options) *Process {
	t.Helper()
	p, err := TryStart(t, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	return p
}

// TryStart is Start that returns, instead of failing the test, why the
// program did not become ready; the process has then been stopped, and
// Output still shows what it wrote (a caller may retry on another port).
// An error to start it at all fails the test.
func TryStart(t testing.TB, o Options) (*Process, error) {
	t.Helper()
	if o.Ready == nil {
		o.Ready = ReadyURL
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.LogPath == "" {
		o.LogPath = filepath.Join(t.TempDir(), filepath.Base(o.Argv[0])+".log")
	}
	logf, err := os.Create(o.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(o.Argv[0], o.Argv[1:]...)
	cmd.Dir, cmd.Env = o.Dir, o.Env
	// A file, not a pipe: the program writes to it directly, so Wait
	// returns when the program exits, even if a child of it holds the
	// file open, and the log survives the process.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	logf.Close() // the child has its own descriptor
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, LogPath: o.LogPath, exited: make(chan struct{}), stopTimeout: o.StopTimeout}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.Stop)

	ready := func() bool {
		if o.Probe != nil {
			return o.Probe()
		}
		for line := range strings.Lines(p.Output()) {
			if m := o.Ready.FindStringSubmatch(line); m != nil {
				for _, s := range m[1:] {
					if s != "" {
						p.URL = s
						break
					}
				}
				return true
			}
		}
		return false
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(o.ReadyTimeout)
	for {
		if ready() {
			return p, nil
		}
		select {
		case <-p.exited:
			if ready() { // it was ready just before it exited
				return p, nil
			}
			p.Stop() // what it left of its group
			return p, fmt.Errorf("%v exited (%v) before it was ready", o.Argv, p.err)
		case <-deadline:
			p.Stop()
			return p, fmt.Errorf("%v was not ready within %v", o.Argv, o.ReadyTimeout)
		case <-tick.C:
		}
	}
}

// Output is what the process has written so far; after Stop or once
// Exited is closed, all of it.
func (p *Process) Output() string {
	data, _ := os.ReadFile(p.LogPath)
	return string(data)
}

// Exited is closed when the process has exited; Err then says how.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is cmd.Wait's error once Exited is closed (nil: exit status 0).
func (p *Process) Err() error {
	select {
	case <-p.exited:
		return p.err
	default:
		return errors.New("testkit: the process is still running")
	}
}

// Stop stops the process, once, and returns when it has exited: SIGTERM
// to its process group (the mock shuts down gracefully and finishes its
// log; a launcher such as npx stops with what it started), SIGKILL to the
// group after Options.StopTimeout. Whatever is left of the group is then
// killed too. Start registers it as a cleanup; a test that reads the
// complete log calls it earlier.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(p.stopTimeout):
				_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
				<-p.exited
			}
		}
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL) // children it left, if any
	})
}
