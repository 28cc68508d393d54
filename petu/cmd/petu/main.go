// Command petu runs the whole petu app in one process, on the in-memory adapters: the website,
// the API, a local sign-in in place of Google, the buckets' signed URLs and upload forms, the
// event bus that invokes the functions, and a transcoder.
//
//	go run ./petu/cmd/petu            # serve http://localhost:8080
//	go run ./petu/cmd/petu -addr :9000
//	go run ./petu/cmd/petu -demo      # run one video through the pipeline, print it and its cost, exit
//	go run ./petu/cmd/petu -costs=false  # without metering what the run would cost on AWS
//
// It transcodes with ffmpeg when ffmpeg is on PATH and simulates transcoding with memtranscode
// otherwise, and says which.
//
// It meters every block in the units AWS bills (see the cost package), and serves GET /costs: what
// the run would have cost on AWS since it started (us-east-1 on-demand prices, no free tier), and
// what each video's upload, transcode, playback and storage cost. The website shows these beside
// each ready video; -demo prints them, with what a thousand such uploads would cost.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// sample is a two-second 640×360 H.264/AAC clip for -demo.
//
//go:embed sample.mp4
var sample []byte

func main() {
	addr := flag.String("addr", "localhost:8080", "address to serve on")
	demo := flag.Bool("demo", false, "run a sample video through the pipeline, print the result and exit")
	transcoder := flag.String("transcoder", "", `"ffmpeg", "mem", or empty for ffmpeg when it is on PATH`)
	verbose := flag.Bool("v", false, "log every function invocation")
	costs := flag.Bool("costs", true, "meter what the run would cost on AWS: GET /costs, shown on the site and after -demo")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, *addr, *transcoder, *demo, *verbose, *costs); err != nil {
		fmt.Fprintln(os.Stderr, "petu:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, addr, transcoder string, demo, verbose, costs bool) error {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + reachable(ln.Addr().(*net.TCPAddr))
	cfg := config{BaseURL: base, Transcoder: transcoder, Logger: logger, NoCosts: !costs}
	if verbose {
		cfg.Metrics = os.Stderr
	}
	l, err := newLocal(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer l.Close()

	h := l.Handler()
	if tcp := ln.Addr().(*net.TCPAddr); tcp.IP.IsLoopback() {
		h = loopbackOnly(h)
	}
	srv := l.Server(h)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close()

	fmt.Fprintf(out, "petu: serving %s\n", base)
	fmt.Fprintf(out, "  site      bucket %s, served as a website at %s/\n", siteBucket, base)
	fmt.Fprintf(out, "  api       %s/api/\n", base)
	fmt.Fprintf(out, "  sign-in   local issuer %s (in place of Google)\n", l.Issuer.URL())
	fmt.Fprintf(out, "  buckets   %s, %s (signed URLs under %s/s3/)\n", uploadsBucket, mediaBucket, base)
	fmt.Fprintf(out, "  table     %s (memtable)\n", videosTable)
	fmt.Fprintf(out, "  events    memevents: %s → on-upload, job state change → on-transcoded\n", uploadsBucket)
	fmt.Fprintf(out, "  transcode %s\n", l.TranscoderName)
	if l.Costs != nil {
		fmt.Fprintf(out, "  costs     %s/costs: what the run would cost on AWS (us-east-1 prices)\n", base)
	}
	warnIfExposed(out, ln.Addr().(*net.TCPAddr))

	if demo {
		return runDemo(ctx, out, base, l)
	}
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// reachable is the address a browser on this machine uses to reach a listener.
func reachable(a *net.TCPAddr) string {
	if a.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", a.Port)
	}
	if a.IP.IsLoopback() && a.IP.To4() != nil {
		return fmt.Sprintf("localhost:%d", a.Port)
	}
	return a.String()
}
