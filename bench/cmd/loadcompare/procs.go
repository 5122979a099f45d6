package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Every child runs in a process group of its own; the registry kills every
// group still alive when loadcompare ends, however it ends.
var registry = struct {
	sync.Mutex
	groups map[int]bool
}{groups: map[int]bool{}}

func register(pgid int) {
	registry.Lock()
	registry.groups[pgid] = true
	registry.Unlock()
}

func unregister(pgid int) {
	registry.Lock()
	delete(registry.groups, pgid)
	registry.Unlock()
}

// killAll kills every registered process group (SIGKILL).
func killAll() {
	registry.Lock()
	defer registry.Unlock()
	for pgid := range registry.groups {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		delete(registry.groups, pgid)
	}
}

// groupAttr puts a child in its own process group and has the kernel kill it
// if loadcompare dies without cleaning up (SIGKILL cannot be caught).
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// server is one target process being measured.
type server struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	url     string // base URL
	exited  chan struct{}
	waitErr error
}

// spawn starts argv (in dir) listening on port, logging to logPath, and
// returns at once; the caller waits for readiness.
func spawn(name, dir, logPath string, port int, argv []string, env []string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = groupAttr()
	if env != nil {
		cmd.Env = env
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	register(cmd.Process.Pid)
	s := &server{name: name, cmd: cmd, logPath: logPath, log: logf, url: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// stop ends the server's whole process group: SIGTERM, then SIGKILL after
// a grace period.
func (s *server) stop() {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(3 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // stragglers of the group too
	select {
	case <-s.exited:
	case <-time.After(3 * time.Second):
	}
	unregister(pgid)
	s.log.Close()
}

// logTail is the end of the server's log, for error messages.
func (s *server) logTail() string {
	data, _ := os.ReadFile(s.logPath)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}

// waitReady polls the operation until it answers 200 and returns the time
// from spawn to that answer. Polls are 1 ms apart: a refused connection
// costs microseconds.
func (s *server) waitReady(ctx context.Context, spawned time.Time, authorization string, limit time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return 0, fmt.Errorf("%s exited before answering (%v); log:\n%s", s.name, s.waitErr, s.logTail())
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+revokeAll, nil)
		req.Header.Set("Authorization", authorization)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(spawned), nil
			}
			last = fmt.Errorf("answered %d", resp.StatusCode)
		} else {
			last = err
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("%s did not answer 200 within %v (last: %v); log:\n%s", s.name, limit, last, s.logTail())
}

// peakRSS sums VmHWM (the resident set's high-water mark) over every
// process of the server's group, in bytes.
func (s *server) peakRSS() (int64, error) { return s.groupStatus("VmHWM") }

// groupStatus sums a kB field of /proc/PID/status (VmHWM, VmRSS) over every
// process of the server's group, in bytes.
func (s *server) groupStatus(field string) (int64, error) {
	pids := groupMembers(s.cmd.Process.Pid)
	if len(pids) == 0 {
		return 0, errors.New("no process left in the group")
	}
	var total int64
	for _, pid := range pids {
		kb, err := statusField(pid, field)
		if err != nil {
			return 0, err
		}
		total += kb * 1024
	}
	return total, nil
}

// waitHealthy polls the control API's health check (for a mock whose
// operation needs an issued token).
func (s *server) waitHealthy(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before answering (%v); log:\n%s", s.name, s.waitErr, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/__mock/health", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s was not healthy within %v; log:\n%s", s.name, limit, s.logTail())
}

func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:])) // state ppid pgrp ...
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

func statusField(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}
