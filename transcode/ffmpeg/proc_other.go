//go:build !linux && !freebsd

package ffmpeg

import "os/exec"

// start starts cmd. This platform has no parent-death signal that the standard library can set,
// so a child outlives a parent killed without a chance to clean up (SIGKILL, a crash); Close and
// Cancel still end it, and the next New removes the temporary files it leaves.
func start(cmd *exec.Cmd) error { return cmd.Start() }
