package faultproxy

import (
	"hash/fnv"
	"os"
	"strconv"
	"testing"
)

// SeedEnv names the environment variable that sets the seed of every proxy a test starts with
// TestSeed, to replay a logged run.
const SeedEnv = "SERVOUS_FAULT_SEED"

// TestSeed returns the seed for t: $SERVOUS_FAULT_SEED when set, else a hash of the test's
// name, so that every run of a test injects the same faults unless asked otherwise. It logs
// the seed and how to replay it.
func TestSeed(t testing.TB) uint64 {
	t.Helper()
	if v := os.Getenv(SeedEnv); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("faultproxy: %s=%q: %v", SeedEnv, v, err)
		}
		t.Logf("faultproxy: seed %d (from %s)", s, SeedEnv)
		return s
	}
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	s := h.Sum64()
	t.Logf("faultproxy: seed %d (replay with %s=%d)", s, SeedEnv, s)
	return s
}
