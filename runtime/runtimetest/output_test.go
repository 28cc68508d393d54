package runtimetest

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	f := &Function{out: newOutput(), exited: make(chan struct{})}
	writes := []string{"START a\n", `{"message":"x"`, "}\nREPORT a\n", "START b\nREP", "ORT b\n"}
	go func() {
		for _, w := range writes {
			_, _ = f.out.Write([]byte(w))
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := f.WaitFor(ctx, "REPORT", 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(writes, ""); got != want {
		t.Errorf("WaitFor returned %q, want %q", got, want)
	}
	got, err = f.WaitFor(ctx, `"message":"x"`, 1)
	if err != nil || got != "START a\n{\"message\":\"x\"}\n" {
		t.Errorf("WaitFor returned %q, %v; want the output up to the end of the line", got, err)
	}
}

func TestWaitForEnds(t *testing.T) {
	f := &Function{out: newOutput(), exited: make(chan struct{})}
	_, _ = f.out.Write([]byte("START a\n"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.WaitFor(ctx, "REPORT", 1); err == nil {
		t.Error("WaitFor returned without error after its context ended")
	}
	close(f.exited)
	if out, err := f.WaitFor(t.Context(), "REPORT", 1); err == nil || out != "START a\n" {
		t.Errorf("after exit: %q, %v; want the output and an error", out, err)
	}
}

func TestNthIndex(t *testing.T) {
	for _, c := range []struct {
		s, sub  string
		n, want int
	}{
		{"abab", "ab", 1, 0}, {"abab", "ab", 2, 2}, {"abab", "ab", 3, -1}, {"aaa", "aa", 2, -1}, {"", "a", 1, -1},
	} {
		if got := nthIndex(c.s, c.sub, c.n); got != c.want {
			t.Errorf("nthIndex(%q, %q, %d) = %d, want %d", c.s, c.sub, c.n, got, c.want)
		}
	}
}
