package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MinIOVersion is the version of github.com/minio/minio that .ci/run installs and the
// install instructions name.
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// ErrNoMinIO means the minio binary is neither on PATH nor in the peers' cache.
var ErrNoMinIO = errors.New("storagetest: minio unavailable")

// MinIO is a MinIO server (github.com/minio/minio) this process started: an S3
// implementation independent of this package's S3Server, on a loopback port, storing into a
// temporary directory.
type MinIO struct {
	// URL is the server's endpoint, for path-style requests.
	URL string
	// Region is the region clients sign for.
	Region string
	// Credentials are the server's root credentials.
	Credentials aws.Credentials

	cmd      *exec.Cmd
	dir      string
	exited   chan struct{}
	stderr   *lockedBuffer
	stopOnce sync.Once
}

// lockedBuffer collects the server's output, which its copying goroutine writes while a
// failed start reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// MinIODepartures are where MinIO (as MinIOVersion, on one drive) departs from S3's
// documented behaviour; give them to the suite and RunDifferential in Target.Departures.
//
//   - MinIO stores an object as a file under directories named by the key's '/'-separated
//     segments, so it refuses (400 XMinioInvalidObjectName, or BadRequest) keys and listing
//     prefixes with an empty segment ("a//b", "/a") and keys with a segment over 255 bytes,
//     all of which S3 accepts.
//   - For the same reason, objects whose keys nest under another object's key, as files
//     under a folder ("a/b" beside "a" or "a/", "a/b/c" beside "a/b"), are left out of
//     listings.
//   - MinIO ignores If-Match and If-None-Match on CopyObject's destination, which S3 checks.
//   - ListObjectsV2 with small pages goes wrong where keys share a prefix ("a", then "a b",
//     "ab"): a page after "a" ends the listing early, and a listing whose last page is full
//     says it is truncated and ends with an empty page; S3 does neither.
//   - GetObject with a range past the end and an If-Match that fails answers 416 where S3
//     checks the condition first (412), and serves a suffix range of an empty object whole
//     (200) where S3 answers 416.
var MinIODepartures = &Departures{
	Key:            minioKeyDeparture,
	CopyConditions: "MinIO ignores If-Match and If-None-Match on a copy's destination",
	NestedKeys:     "MinIO leaves objects nested under another object's key out of listings",
	ListPaging:     "MinIO ends a listing early, or with an empty page, across small pages of keys that share a prefix",
	Ranges:         "MinIO checks a range before If-Match, and serves a suffix range of an empty object",
}

func minioKeyDeparture(key string) string {
	if strings.HasPrefix(key, "/") || strings.Contains(key, "//") {
		return "MinIO refuses a key or prefix with an empty path segment"
	}
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > 255 {
			return "MinIO refuses a key with a path segment over 255 bytes"
		}
	}
	return ""
}

// minioHint says how to install minio.
func minioHint() string {
	dir := "$HOME/.cache/servous/bin"
	if c, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(c, "servous", "bin")
	}
	return fmt.Sprintf("install it with: GOBIN=%s go install github.com/minio/minio@%s (about 2 minutes), or put a minio binary on PATH", dir, MinIOVersion)
}

// minioPath finds the minio binary: on PATH, else in the peers' cache where .ci/run
// installs it.
func minioPath() (string, error) {
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	if c, err := os.UserCacheDir(); err == nil {
		p := filepath.Join(c, "servous", "bin", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: minio is not on PATH nor in the peers' cache; %s", ErrNoMinIO, minioHint())
}

// StartMinIO starts a MinIO server that the test's cleanup stops. Without the minio binary
// the test is skipped with a message saying how to install it, or fails when
// SERVOUS_REQUIRE_PEERS=1. Tests that share one server start it once, with LaunchMinIO.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	m, err := LaunchMinIO(context.Background())
	if errors.Is(err, ErrNoMinIO) {
		SkipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// SkipOrFail skips the test for a missing peer, or fails it when SERVOUS_REQUIRE_PEERS=1
// demands every peer.
func SkipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
		t.Fatalf("%s (SERVOUS_REQUIRE_PEERS=1)", msg)
	}
	t.Skip(msg)
}

// LaunchMinIO is StartMinIO for callers without a testing.TB, such as TestMain or a
// sync.Once shared by a package's tests: the caller stops the server with Close. The error
// wraps ErrNoMinIO when the binary is missing.
func LaunchMinIO(ctx context.Context) (*MinIO, error) {
	bin, err := minioPath()
	if err != nil {
		return nil, err
	}
	// A port found free can be taken before minio binds it; try a few.
	for range 3 {
		var m *MinIO
		if m, err = startMinIO(ctx, bin); err == nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("storagetest: minio did not start: %w", err)
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startMinIO(ctx context.Context, bin string) (*MinIO, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "storagetest-minio-")
	if err != nil {
		return nil, err
	}
	m := &MinIO{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		Region: "us-east-1",
		Credentials: aws.Credentials{
			AccessKeyID: "servous-" + randomHex(6), SecretAccessKey: randomHex(20), Source: "storagetest",
		},
		dir:    dir,
		exited: make(chan struct{}),
		stderr: &lockedBuffer{},
	}
	m.cmd = exec.Command(bin, "server", filepath.Join(dir, "data"),
		"--address", "127.0.0.1:"+strconv.Itoa(port), "--certs-dir", filepath.Join(dir, "certs"), "--quiet")
	m.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.Credentials.AccessKeyID,
		"MINIO_ROOT_PASSWORD="+m.Credentials.SecretAccessKey,
		"MINIO_BROWSER=off", // no console: nothing here uses it
		"MINIO_UPDATE=off",
		"MINIO_REGION="+m.Region,
	)
	m.cmd.Stdout = m.stderr
	m.cmd.Stderr = m.stderr
	dieWithParent(m.cmd)
	if err := m.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		m.cmd.Wait()
		close(m.exited)
	}()
	if err := m.waitLive(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// ready reports whether MinIO answers S3 requests: it is live before it has initialized,
// and answers 503 XMinioServerNotInitialized meanwhile.
func (m *MinIO) ready(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/minio/health/live", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	_, err = m.Client(func(o *s3.Options) { o.RetryMaxAttempts = 1 }).ListBuckets(ctx, &s3.ListBucketsInput{})
	return err == nil
}

// waitLive polls MinIO's liveness endpoint, then an S3 request, until both succeed, the
// process exits, or a minute passes.
func (m *MinIO) waitLive(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m.ready(ctx) {
			return nil
		}
		select {
		case <-m.exited:
			return fmt.Errorf("minio exited: %s", m.stderr.String())
		case <-ctx.Done():
			return fmt.Errorf("minio not live: %w: %s", ctx.Err(), m.stderr.String())
		case <-tick.C:
		}
	}
}

// Close stops the server and removes its directory.
func (m *MinIO) Close() error {
	m.stopOnce.Do(func() {
		m.cmd.Process.Kill()
		<-m.exited
		os.RemoveAll(m.dir)
	})
	return nil
}

// Client returns an S3 client for the server, signing with the root credentials (optFns may
// change that, or anything else).
func (m *MinIO) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       m.Region,
		BaseEndpoint: aws.String(m.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(m.Credentials.AccessKeyID, m.Credentials.SecretAccessKey, ""),
	}, optFns...)
}

// NewBucket creates a bucket with a name unique to the server and returns the name. The
// bucket lives as long as the server.
func (m *MinIO) NewBucket(t testing.TB) string {
	t.Helper()
	name := "bucket-" + randomHex(6)
	if _, err := m.Client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s on minio: %v", name, err)
	}
	return name
}
