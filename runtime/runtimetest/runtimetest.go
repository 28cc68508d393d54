// Package runtimetest runs Lambda functions under the AWS Lambda Runtime Interface Emulator
// (aws-lambda-rie), built the way they are deployed, for tests.
//
// [Build] compiles a main package as Lambda runs a Go function on the provided.al2023 runtime;
// [Run] starts it under the emulator on free loopback ports and returns a [Function] to invoke
// over HTTP, whose captured output (the emulator's START, END and REPORT lines and everything
// the function writes to stdout and stderr) a test can wait on with [Function.WaitFor].
//
// # Invoking
//
// POST the payload to [Function.URL] ([Function.Invoke] does). The emulator takes the request
// id from an X-Amzn-RequestId header when there is one, which lets a test find an
// invocation's lines in the output; it drops X-Amzn-Trace-Id, as it does not support X-Ray.
// A timed-out invocation makes it reset the function: SIGTERM, then SIGKILL, and a new
// process (a cold start) for the next invocation. The emulator runs one invocation at a time,
// as an execution environment does, and crashes when sent a second while one runs:
// [Function.Invoke] waits its turn. [Function.Kill] crashes the function process as a fatal
// error would, to test what an event source's retry of the invocation finds.
//
// # The emulator
//
// The emulator is looked up on PATH, then in <user cache dir>/servous/bin; when it is in
// neither, [EmulatorPath] (which Run calls) builds it there from the Go module proxy:
//
//	GOBIN=<user cache dir>/servous/bin go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@<EmulatorVersion>
//
// When it cannot be had, the test is skipped with that command, or fails if the environment
// variable SERVOUS_REQUIRE_PEERS is 1. The emulator runs on Linux only.
package runtimetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// EmulatorVersion is the version of aws-lambda-rie Run builds when none is installed.
const EmulatorVersion = "v0.0.0-20261030222936-bef5c4ba774d"

const emulatorPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// InvokePath is the path of the emulator's invoke endpoint.
const InvokePath = "/2015-03-31/functions/function/invocations"

// BuildOptions configures [Build]. A nil *BuildOptions means the defaults.
type BuildOptions struct {
	// GOARCH is the target architecture. Default: the running one, so the emulator here can
	// run the binary.
	GOARCH string
	// Flags are added to the go build command line, such as "-ldflags=-s -w".
	Flags []string
}

// Build compiles the main package pkg (an import path, or a directory such as
// "./cmd/resize") as Lambda runs a Go function: GOOS=linux, CGO_ENABLED=0, -tags lambda.norpc,
// the binary named bootstrap. It returns the binary's path, in a directory removed when the
// test ends. A build failure fails the test with the compiler's output.
func Build(t testing.TB, pkg string, opts *BuildOptions) string {
	t.Helper()
	var o BuildOptions
	if opts != nil {
		o = *opts
	}
	if o.GOARCH == "" {
		o.GOARCH = goruntime.GOARCH
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	args := append([]string{"build", "-tags", "lambda.norpc", "-o", bin}, o.Flags...)
	cmd := exec.Command(goTool, append(args, pkg)...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+o.GOARCH, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runtimetest: go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	return bin
}

// goTool is the go command that builds functions and the emulator. It is looked up on PATH, where
// go test puts its own GOROOT's bin directory first, so the test's toolchain builds them.
const goTool = "go"

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

var emulator struct {
	once sync.Once
	path string
	err  error
}

// EmulatorPath returns the path of aws-lambda-rie, building it if it is not installed (see
// the package documentation). When it cannot be had, the test is skipped, or fails when
// SERVOUS_REQUIRE_PEERS=1.
func EmulatorPath(t testing.TB) string {
	t.Helper()
	emulator.once.Do(func() { emulator.path, emulator.err = findEmulator() })
	if emulator.err != nil {
		msg := fmt.Sprintf("runtimetest: aws-lambda-rie is not available (%v); install it with: GOBIN=<user cache dir>/servous/bin go install %s@%s", emulator.err, emulatorPackage, EmulatorVersion)
		if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return emulator.path
}

func findEmulator() (string, error) {
	if goruntime.GOOS != "linux" {
		return "", fmt.Errorf("the emulator runs on linux, not %s", goruntime.GOOS)
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cache, "servous", "bin")
	p := filepath.Join(bin, "aws-lambda-rie")
	if fileExists(p) {
		return p, nil
	}
	cmd := exec.Command(goTool, "install", emulatorPackage+"@"+EmulatorVersion)
	// Built for this machine, outside any module, whatever the test's environment targets.
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=", "GOOS=", "GOARCH=", "CGO_ENABLED=0")
	cmd.Dir = os.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install: %v: %s", err, bytes.TrimSpace(out))
	}
	return p, nil
}

// Options configures [Run]. A nil *Options means the defaults.
type Options struct {
	// Env is the function's environment, beside PATH, which is passed on. The emulator reads
	// AWS_LAMBDA_FUNCTION_TIMEOUT (whole seconds; default 300), AWS_LAMBDA_FUNCTION_NAME
	// (default test_function), AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE
	// and the AWS credential variables, and passes all of them to the function.
	Env map[string]string
	// StartTimeout bounds how long Run waits for the emulator to listen. Default: 30 seconds.
	StartTimeout time.Duration
}

// Function is a function running under the emulator. Its methods are safe for concurrent use.
type Function struct {
	// URL is the function's invoke endpoint: POST a payload to it.
	URL string

	cmd    *exec.Cmd
	out    *output
	exited chan struct{}
	// invoking is held by an invocation: the emulator runs one at a time, as an execution
	// environment does, and crashes when sent a second while one runs.
	invoking sync.Mutex
}

// Run starts the bootstrap binary under aws-lambda-rie on free loopback ports, waits until the
// emulator accepts connections, and stops both when the test ends. Like Lambda, the emulator
// starts the function (its init) on the first invocation.
func Run(t testing.TB, bootstrap string, opts *Options) *Function {
	t.Helper()
	rie := EmulatorPath(t)
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	bootstrap, err := filepath.Abs(bootstrap)
	if err != nil {
		t.Fatal(err)
	}

	// The ports are free when chosen; if another process takes one before the emulator
	// binds it, the emulator exits and Run tries again with new ones.
	var lastErr error
	for range 3 {
		f, err := start(t, rie, bootstrap, &o)
		if err == nil {
			return f
		}
		lastErr = err
	}
	t.Fatalf("runtimetest: starting aws-lambda-rie: %v", lastErr)
	return nil
}

func start(t testing.TB, rie, bootstrap string, o *Options) (*Function, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", ports[0])
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", net.JoinHostPort("127.0.0.1", ports[1]),
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for _, k := range slices.Sorted(maps.Keys(o.Env)) {
		cmd.Env = append(cmd.Env, k+"="+o.Env[k])
	}
	out := newOutput()
	cmd.Stdout = out
	cmd.Stderr = out
	setProcessGroup(cmd)
	// A function the emulator leaves behind (it runs in a process group of its own) holds the
	// output open: Wait does not wait for it longer than this once the emulator has exited.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &Function{URL: "http://" + addr + InvokePath, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(f.stop)

	// The emulator says nothing when it starts listening, so poll its port.
	deadline := time.Now().Add(o.StartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return f, nil
		}
		select {
		case <-f.exited:
			return nil, fmt.Errorf("aws-lambda-rie exited: %s\n%s", cmd.ProcessState, out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			f.stop()
			return nil, fmt.Errorf("aws-lambda-rie not listening on %s after %v:\n%s", addr, o.StartTimeout, out.String())
		}
	}
}

func freePorts(n int) ([]string, error) {
	var ports []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		_, port, _ := net.SplitHostPort(l.Addr().String())
		ports = append(ports, port)
	}
	return ports, nil
}

// Stop ends the emulator and the function it started, and waits until the emulator has
// exited. Run arranges for it to be called when the test ends; calling it again does nothing.
func (f *Function) Stop() {
	f.stop()
}

func (f *Function) stop() {
	select {
	case <-f.exited:
		return
	default:
	}
	// The emulator starts the function in a process group of its own: it is killed first, so
	// that no function outlives the emulator holding its output open.
	_, _ = killChildren(f.cmd.Process.Pid)
	killProcessGroup(f.cmd)
	<-f.exited
}

// Kill sends SIGKILL to the function's process, the bootstrap the emulator started, as a crash
// would end it (out of memory, a fatal error of the Go runtime), and leaves the emulator
// running. It returns [ErrNoProcess] when no function process runs: before the first
// invocation, or after a crash until the next one.
//
// An invocation in progress when the process dies answers with the emulator's error payload
// (errorType "Runtime.ExitError"), as Lambda answers it; the next invocation starts the
// function anew, a cold start.
func (f *Function) Kill() error {
	n, err := killChildren(f.cmd.Process.Pid)
	if err != nil {
		return fmt.Errorf("runtimetest: kill: %w", err)
	}
	if n == 0 {
		return ErrNoProcess
	}
	return nil
}

// ErrNoProcess is returned by [Function.Kill] when the emulator runs no function process.
var ErrNoProcess = errors.New("runtimetest: no function process running")

// Invoke posts payload to the function and returns the response body. Like Lambda's Invoke
// API, a function error is a response (the error payload, {"errorMessage": …,
// "errorType": …}), not an error; so is a timeout ("Task timed out after N.00 seconds").
// The error is for the emulator failing to answer, or answering with a status other than 200.
//
// Like a Lambda execution environment, the emulator runs one invocation at a time: Invoke waits
// for an invocation in progress to end before it sends its own.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.invoking.Lock()
	defer f.invoking.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("runtimetest: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("runtimetest: invoke: reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("runtimetest: invoke: status %s: %s", resp.Status, body)
	}
	return body, nil
}

// Output returns everything the emulator and the function have written so far, stdout and
// stderr together, in the order it arrived.
func (f *Function) Output() string {
	return f.out.String()
}

// WaitFor waits until the output holds n occurrences of substr (n < 1 counts as 1) and
// returns the output up to the end of the line holding the n-th. It returns an error when
// ctx ends or the emulator exits first.
func (f *Function) WaitFor(ctx context.Context, substr string, n int) (string, error) {
	n = max(n, 1)
	for {
		s, changed := f.out.snapshot()
		if i := nthIndex(s, substr, n); i >= 0 {
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				return s[:i+j+1], nil
			}
			// The line is not finished: wait for the rest.
		}
		select {
		case <-changed:
		case <-f.exited:
			if s2, _ := f.out.snapshot(); len(s2) > len(s) {
				continue
			}
			return s, fmt.Errorf("runtimetest: emulator exited before %d× %q appeared", n, substr)
		case <-ctx.Done():
			return s, fmt.Errorf("runtimetest: waiting for %d× %q: %w", n, substr, ctx.Err())
		}
	}
}

func nthIndex(s, substr string, n int) int {
	off := 0
	for k := 1; ; k++ {
		i := strings.Index(s[off:], substr)
		if i < 0 {
			return -1
		}
		if k == n {
			return off + i
		}
		off += i + len(substr)
	}
}

// output collects a process's output and signals each write.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *output) String() string {
	s, _ := o.snapshot()
	return s
}

// snapshot returns the output so far and a channel closed at the next write.
func (o *output) snapshot() (string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String(), o.changed
}
