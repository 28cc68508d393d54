package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestLoopbackRefusesOtherHosts runs the command on loopback and asks it as a page on another
// site would after rebinding its name to 127.0.0.1: the server refuses, and still answers the
// names of loopback.
func TestLoopbackRefusesOtherHosts(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, pw, "127.0.0.1:0", "mem", false, false, true)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	var base string
	var out bytes.Buffer
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if b, ok := strings.CutPrefix(lines.Text(), "petu: serving "); ok {
			base = b
		}
		if strings.HasPrefix(lines.Text(), "  transcode ") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("no address in the output:\n%s", out.String())
	}
	if strings.Contains(out.String(), "WARNING") {
		t.Errorf("a warning for a server on loopback:\n%s", out.String())
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(base, "http://"), ":")
	for host, want := range map[string]int{
		"localhost:" + port:          http.StatusOK,
		"LOCALHOST:" + port:          http.StatusOK,
		"127.0.0.1:" + port:          http.StatusOK,
		"127.1.2.3:" + port:          http.StatusOK,
		"[::1]:" + port:              http.StatusOK,
		"petu.localhost:" + port:     http.StatusOK,
		"localhost":                  http.StatusOK,
		"evil.example:" + port:       http.StatusForbidden,
		"evil.example":               http.StatusForbidden,
		"localhost.evil.example":     http.StatusForbidden,
		"127.0.0.1.evil.example":     http.StatusForbidden,
		"192.168.1.10:" + port:       http.StatusForbidden,
		"[::ffff:10.0.0.1]:" + port:  http.StatusForbidden,
		"evil.example:" + port + ".": http.StatusForbidden,
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/config.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host: %s: %d, want %d", host, res.StatusCode, want)
		}
	}
}

func TestWarnIfExposed(t *testing.T) {
	for addr, warns := range map[string]bool{
		"127.0.0.1:8080":   false,
		"[::1]:8080":       false,
		"0.0.0.0:8080":     true,
		"[::]:8080":        true,
		"192.0.2.10:8080":  true,
		"[2001:db8::]:443": true,
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		warnIfExposed(&out, a)
		if got := strings.Contains(out.String(), "WARNING") && strings.Contains(out.String(), "sign in as any user"); got != warns {
			t.Errorf("%s: warned %v, want %v:\n%s", addr, got, warns, out.String())
		}
	}
}
