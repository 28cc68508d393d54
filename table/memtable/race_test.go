//go:build race

package memtable_test

// raceEnabled reports whether the race detector is on: it makes sync.Pool drop items at
// random, so allocation counts vary from run to run.
const raceEnabled = true
