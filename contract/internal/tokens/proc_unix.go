//go:build unix

package tokens

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel starts c in a process group of its own and, when its
// context ends, kills the whole group: sh and whatever it started.
func killGroupOnCancel(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
}
