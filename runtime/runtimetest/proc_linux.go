//go:build linux

package runtimetest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// children returns the ids of the processes whose parent is pid, from /proc.
func children(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone since the listing
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses, so the fields are
		// read after its last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		var state byte
		var ppid int
		if _, err := fmt.Sscanf(string(stat[i+1:]), " %c %d", &state, &ppid); err != nil {
			continue
		}
		if ppid == pid && state != 'Z' {
			out = append(out, child)
		}
	}
	return out, nil
}

// killChildren sends SIGKILL to the children of pid and returns how many it signalled.
func killChildren(pid int) (int, error) {
	kids, err := children(pid)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range kids {
		if err := syscall.Kill(c, syscall.SIGKILL); err == nil {
			n++
		}
	}
	return n, nil
}
