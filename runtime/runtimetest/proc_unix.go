//go:build unix

package runtimetest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the emulator in a process group of its own, so that stopping it stops
// the function it started too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcessGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
