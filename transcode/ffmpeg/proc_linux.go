package ffmpeg

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// start starts cmd so that the kernel kills it when this process dies, even by SIGKILL, which
// leaves no chance to clean up: an orphaned ffmpeg would run its encode to the end, holding the
// user's video in its temporary files.
//
// Linux sends the parent-death signal when the thread that forked the child exits, not the
// process, and the Go runtime ends threads of its own accord (one whose goroutine exits while
// locked to it). So every child is started from one goroutine locked to its thread for the life
// of the process: that thread never exits before the process does.
func start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	forker.once.Do(func() {
		forker.reqs = make(chan startRequest)
		go forkLoop(forker.reqs)
	})
	done := make(chan error, 1)
	forker.reqs <- startRequest{cmd, done}
	return <-done
}

type startRequest struct {
	cmd  *exec.Cmd
	done chan<- error
}

var forker struct {
	once sync.Once
	reqs chan startRequest
}

// forkLoop starts commands on its own thread. It never returns and never unlocks its thread.
func forkLoop(reqs <-chan startRequest) {
	runtime.LockOSThread()
	for r := range reqs {
		r.done <- r.cmd.Start()
	}
}
