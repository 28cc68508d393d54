package ffmpeg

import (
	"os/exec"
	"syscall"
)

// start starts cmd so that the kernel kills it when this process dies, even by SIGKILL
// (procctl's PROC_PDEATHSIG_CTL, which FreeBSD ties to the process, not to a thread).
func start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	return cmd.Start()
}
