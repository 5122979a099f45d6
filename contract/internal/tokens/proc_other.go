//go:build !unix

package tokens

import "os/exec"

// killGroupOnCancel leaves exec's default, killing the command itself: this
// system has no process groups to kill at once (Windows); WaitDelay still
// bounds the wait for what it started.
func killGroupOnCancel(c *exec.Cmd) {}
