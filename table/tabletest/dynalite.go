package tabletest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
)

// DynaliteVersion is the dynalite release StartDynalite installs.
const DynaliteVersion = "4.0.0"

// Dynalite is a running dynalite server.
type Dynalite struct {
	// Endpoint is the server's URL, http://127.0.0.1:port.
	Endpoint string
	// Client is a DynamoDB client for the server with static test credentials.
	Client *dynamodb.Client

	stop     func()
	stopOnce sync.Once
}

// DynaliteDir returns where StartDynalite installs dynalite:
// os.UserCacheDir()/servous/dynalite.
func DynaliteDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "servous", "dynalite"), nil
}

func installHint(dir string) string {
	return fmt.Sprintf("dynalite needs Node.js and npm (Debian: apt-get install nodejs npm); "+
		"it is installed with: npm install --prefix %s --no-audit --no-fund dynalite@%s", dir, DynaliteVersion)
}

// ErrNoDynalite means dynalite cannot run here: Node.js is missing, or dynalite is not
// installed and cannot be.
var ErrNoDynalite = errors.New("tabletest: dynalite unavailable")

// skipOrFail skips the test, or fails it when SERVOUS_REQUIRE_PEERS=1 demands the peer.
func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
		t.Fatalf("%s (SERVOUS_REQUIRE_PEERS=1)", msg)
	}
	t.Skip(msg)
}

var installMu sync.Mutex

// ensureDynalite returns node's path and dynalite's cli.js, installing dynalite when absent.
func ensureDynalite(ctx context.Context) (node, cli string, err error) {
	dir, err := DynaliteDir()
	if err != nil {
		return "", "", fmt.Errorf("%w: no cache directory: %w", ErrNoDynalite, err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("%w: node not found on PATH; %s", ErrNoDynalite, installHint(dir))
	}
	cli = filepath.Join(dir, "node_modules", "dynalite", "cli.js")
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(cli); err == nil {
		return node, cli, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", "", fmt.Errorf("%w: dynalite is not installed and npm is not on PATH; %s", ErrNoDynalite, installHint(dir))
	}
	// Install beside the target and rename, so concurrent test processes never see a
	// half-installed package.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "dynalite-install-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, npm, "install", "--prefix", tmp, "--no-audit", "--no-fund", "--silent", "dynalite@"+DynaliteVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("%w: npm install dynalite: %w\n%s\n%s", ErrNoDynalite, err, out, installHint(dir))
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(cli); statErr != nil {
			return "", "", fmt.Errorf("installing dynalite into %s: %w", dir, err)
		}
	}
	return node, cli, nil
}

// StartDynalite starts dynalite on a free loopback port, waits until it answers, and stops
// it when the test ends. Tables live in memory and are created instantly. Without Node.js
// the test is skipped with a message saying how to install it, or fails when
// SERVOUS_REQUIRE_PEERS=1.
func StartDynalite(t testing.TB) *Dynalite {
	t.Helper()
	d, err := LaunchDynalite(context.Background())
	if errors.Is(err, ErrNoDynalite) {
		skipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// LaunchDynalite is StartDynalite for callers without a testing.TB, such as TestMain: the
// caller stops the server with Close. The error wraps ErrNoDynalite when dynalite cannot
// run here.
func LaunchDynalite(ctx context.Context) (*Dynalite, error) {
	node, cli, err := ensureDynalite(ctx)
	if err != nil {
		return nil, err
	}
	// A port found free can be taken before dynalite binds it; try a few.
	for range 3 {
		var d *Dynalite
		if d, err = startDynalite(ctx, node, cli); err == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("tabletest: dynalite did not start: %w", err)
}

// Close stops the server.
func (d *Dynalite) Close() error {
	d.stopOnce.Do(d.stop)
	return nil
}

// watchStdin starts dynalite's cli.js, given as the first argument (so that cli.js finds
// its own arguments after it, where it looks), and exits when stdin ends. dynalite throws
// from a request's error handler when its client goes away before the body is in (ECONNRESET,
// "aborted"), which would end the process: a client killed mid-request is no reason for
// DynamoDB to stop, so that error is let go; any other still ends dynalite.
const watchStdin = `process.stdin.on("end", () => process.exit(0)); process.stdin.resume(); ` +
	`process.on("uncaughtException", (e) => { if (e && e.code === "ECONNRESET") return; console.error(e); process.exit(70); }); ` +
	`require(process.argv[1]);`

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startDynalite(ctx context.Context, node, cli string) (*Dynalite, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// dynalite runs until killed. Run it under a line of JavaScript that also exits when its
	// stdin closes, which happens when this process dies without cleaning up, so a crashed
	// test binary leaves no server behind.
	cmd := exec.Command(node, "-e", watchStdin, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// dynalite prints one line once it listens; the process ending first means it failed.
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := false
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") && !ok {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	stop := func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	select {
	case ok := <-ready:
		if !ok {
			stop()
			return nil, fmt.Errorf("dynalite exited: %s", stderr.String())
		}
	case <-timeout.C:
		stop()
		return nil, fmt.Errorf("dynalite did not report listening within a minute: %s", stderr.String())
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	d := &Dynalite{Endpoint: endpoint, Client: NewDynaliteClient(endpoint), stop: stop}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := d.Client.ListTables(pctx, &dynamodb.ListTablesInput{}); err != nil {
		d.Close()
		return nil, fmt.Errorf("dynalite does not answer: %w", err)
	}
	return d, nil
}

// NewDynaliteClient returns a DynamoDB client for a local endpoint, with static test
// credentials and region us-east-1.
func NewDynaliteClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
	})
}

// CreateTable creates an on-demand table with the schema's keys and waits until it is
// active. dynalite has no time-to-live API, so expiry is left to the adapters' filtering.
func (d *Dynalite) CreateTable(ctx context.Context, name string, s table.Schema) error {
	if err := s.Validate(); err != nil {
		return err
	}
	s = s.WithDefaults()
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(s.PartitionKey), AttributeType: scalarType(s.PartitionKeyKind)},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(s.PartitionKey), KeyType: types.KeyTypeHash},
		},
	}
	if s.SortKey != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(s.SortKey), AttributeType: scalarType(s.SortKeyKind)})
		in.KeySchema = append(in.KeySchema,
			types.KeySchemaElement{AttributeName: aws.String(s.SortKey), KeyType: types.KeyTypeRange})
	}
	if _, err := d.Client.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	// DescribeTable is the only signal of a table becoming active; dynalite, started with
	// --createTableMs 0, gets there at once.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := d.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("table " + name + " did not become active")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func scalarType(k table.Kind) types.ScalarAttributeType {
	switch k {
	case table.KindNumber:
		return types.ScalarAttributeTypeN
	case table.KindBinary:
		return types.ScalarAttributeTypeB
	}
	return types.ScalarAttributeTypeS
}
