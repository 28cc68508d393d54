//go:build !unix

package ffmpeg

import "os"

// processAlive reports whether a process with this pid exists, as far as os.FindProcess can
// tell: on Windows it opens the process, which fails when there is none; elsewhere it always
// succeeds, and no directory is taken for stale.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
