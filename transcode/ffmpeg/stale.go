package ffmpeg

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tempPrefix starts the name of each job's temporary directory, followed by the pid of the
// process that made it and a random suffix: servous-ffmpeg-<pid>-<random>. The pid tells which
// directories a killed process left behind.
const tempPrefix = "servous-ffmpeg-"

// makeJobDir makes a job's temporary directory in dir (the system's when empty).
func makeJobDir(dir string) (string, error) {
	return os.MkdirTemp(dir, fmt.Sprintf("%s%d-", tempPrefix, os.Getpid()))
}

// removeStale removes the job directories in dir whose process is gone: a process killed
// mid-job leaves its directory, with the user's source and renditions in it. Directories of
// live processes, this one's included, and any other file are left alone; so is a directory
// whose pid the system has given to a new process since, until that process ends too.
func removeStale(dir string) error {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), tempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("ffmpeg: remove stale temporary directories: %w", errs[0])
	}
	return nil
}
