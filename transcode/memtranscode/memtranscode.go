package memtranscode

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/jobevent"
	"github.com/servous/servous/transcode/internal/media"
	"github.com/servous/servous/transcode/internal/runner"
)

// Options configures a Transcoder. A nil *Options means no events, no latency and no injected
// failures, in region us-east-1 of account 111122223333.
type Options struct {
	// Publisher receives the job state change events; nil publishes nothing.
	Publisher events.Publisher
	// Region and Account fill the events' envelopes and ARNs.
	Region  string
	Account string
	// Latency is how long a job spends PROGRESSING after reading its input.
	Latency time.Duration
	// Fail, when not nil, is asked once per job, after its input was read: fail true ends
	// the job in ERROR with code and msg.
	Fail func(job *transcode.Job) (code int, msg string, fail bool)
	// FailureRate, from 0 to 1, fails that share of jobs (with code 1999) when Fail is nil,
	// drawn in submission order from a generator seeded with Seed.
	FailureRate float64
	Seed        uint64
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = runner.ErrClosed

// Transcoder runs simulated jobs in goroutines. It is safe for concurrent use; Close stops
// the jobs still running.
type Transcoder struct {
	buckets map[string]storage.Bucket
	opts    Options
	jobs    *runner.Runner

	mu     sync.Mutex // guards rng and doomed
	rng    *rand.Rand
	doomed map[*transcode.Job]bool
}

var _ transcode.Transcoder = (*Transcoder)(nil)

// New returns a Transcoder that reads inputs from and writes outputs to buckets, keyed by
// bucket name as jobs name them.
func New(buckets map[string]storage.Bucket, opts *Options) *Transcoder {
	t := &Transcoder{buckets: buckets, doomed: map[*transcode.Job]bool{}}
	if opts != nil {
		t.opts = *opts
	}
	t.rng = rand.New(rand.NewPCG(t.opts.Seed, 0x6d656d7472616e73))
	t.jobs = runner.New("memtranscode", t.work, t.remove, runner.Options{
		Publisher: t.opts.Publisher,
		Region:    t.opts.Region,
		Account:   t.opts.Account,
	})
	return t
}

// Close cancels the jobs still running and waits for them to stop.
func (t *Transcoder) Close() error { return t.jobs.Close() }

// Submit starts the job. It implements transcode.Transcoder.
func (t *Transcoder) Submit(ctx context.Context, job *transcode.Job) (string, error) {
	return t.jobs.Submit(ctx, job, func(j *transcode.Job) {
		if t.opts.Fail == nil && t.opts.FailureRate > 0 {
			t.mu.Lock()
			t.doomed[j] = t.rng.Float64() < t.opts.FailureRate
			t.mu.Unlock()
		}
	})
}

// Get returns the job's status. It implements transcode.Transcoder.
func (t *Transcoder) Get(ctx context.Context, id string) (*transcode.Status, error) {
	return t.jobs.Get(ctx, id)
}

// Cancel cancels the job and waits until it has stopped and removed anything it wrote. It
// implements transcode.Transcoder.
func (t *Transcoder) Cancel(ctx context.Context, id string) error {
	return t.jobs.Cancel(ctx, id)
}

func (t *Transcoder) work(ctx context.Context, spec *transcode.Job, progress func(int)) ([]transcode.Output, error) {
	t.mu.Lock()
	doomed := t.doomed[spec]
	delete(t.doomed, spec)
	t.mu.Unlock()

	in, etag, err := t.probe(ctx, &spec.Input)
	if err != nil {
		if e, ok := media.IsProbeError(err); ok {
			return nil, &runner.Error{Code: e.Code, Message: fmt.Sprintf("Unable to open input file [%s]: [Failed probe/open: [%s]]", jobevent.S3URL(spec.Input.Bucket, spec.Input.Key), e.Msg)}
		}
		return nil, err
	}
	progress(25)
	if t.opts.Latency > 0 {
		timer := time.NewTimer(t.opts.Latency)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
	}
	if t.opts.Fail != nil {
		if code, msg, fail := t.opts.Fail(spec); fail {
			return nil, &runner.Error{Code: code, Message: msg}
		}
	} else if doomed {
		return nil, &runner.Error{Code: transcode.CodeInternal, Message: "memtranscode: injected failure"}
	}
	progress(75)
	return t.write(ctx, spec, in, etag)
}

func (t *Transcoder) probe(ctx context.Context, in *transcode.Object) (media.Info, string, error) {
	b, ok := t.buckets[in.Bucket]
	if !ok {
		return media.Info{}, "", &media.Error{Code: transcode.CodeInputAccess, Msg: "NoSuchBucket: no bucket " + strconv.Quote(in.Bucket)}
	}
	obj, err := b.Get(ctx, in.Key, nil)
	if errors.Is(err, storage.ErrNotFound) {
		return media.Info{}, "", &media.Error{Code: transcode.CodeInputAccess, Msg: "NoSuchKey: the input object does not exist"}
	}
	if err != nil {
		if ctx.Err() != nil {
			return media.Info{}, "", ctx.Err()
		}
		// MediaConvert reports any input it cannot read, a key S3 refuses included, as
		// 1010.
		return media.Info{}, "", &media.Error{Code: transcode.CodeInputAccess, Msg: err.Error()}
	}
	defer obj.Close()
	info, err := media.Probe(obj)
	return info, obj.Info.ETag, err
}

// write puts every output, or none: on an error it deletes what it wrote.
func (t *Transcoder) write(ctx context.Context, spec *transcode.Job, in media.Info, etag string) ([]transcode.Output, error) {
	b, ok := t.buckets[spec.Output.Bucket]
	if !ok {
		return nil, &runner.Error{Code: transcode.CodeOutputWrite, Message: fmt.Sprintf("Unable to write to output file [s3://%s/]: [NoSuchBucket]", spec.Output.Bucket)}
	}
	var outs []transcode.Output
	put := func(key, ctype string, data []byte, w, h int, d time.Duration) error {
		info, err := storage.PutBytes(ctx, b, key, data, &storage.PutOptions{ContentType: ctype})
		if err != nil {
			t.remove(spec, outs)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &runner.Error{Code: transcode.CodeOutputWrite, Message: fmt.Sprintf("Unable to write to output file [%s]: [%v]", jobevent.S3URL(spec.Output.Bucket, key), err)}
		}
		outs = append(outs, transcode.Output{Bucket: spec.Output.Bucket, Key: key, Width: w, Height: h, Duration: d, Size: info.Size})
		return nil
	}
	src := jobevent.S3URL(spec.Input.Bucket, spec.Input.Key)
	// Outputs are upright, as ffmpeg makes them and MediaConvert with Rotate AUTO.
	inW, inH := in.DisplaySize()
	for i := range spec.Renditions {
		r := &spec.Renditions[i]
		w, h := transcode.OutputSize(inW, inH, r.Width, r.Height, r.NoUpscale)
		q, br := r.Mode()
		desc := fmt.Sprintf("memtranscode rendition\ninput: %s\ninput etag: %s\ninput: %dx%d turned %d %s %s\nrendition: %s\nsize: %dx%d\nquality: %d\nbitrate: %d\ncodecs: H.264, AAC\n",
			src, etag, in.Width, in.Height, in.Rotation, in.Container, in.Duration, r.Name, w, h, q, br)
		if err := put(spec.RenditionKey(r), "video/mp4", media.MP4(w, h, in.Duration, desc), w, h, in.Duration); err != nil {
			return nil, err
		}
	}
	if th := spec.Thumbnail; th != nil {
		w, h := transcode.OutputSize(inW, inH, th.Width, th.Height, false)
		desc := fmt.Sprintf("memtranscode thumbnail of %s (etag %s), first frame, %dx%d", src, etag, w, h)
		if err := put(spec.ThumbnailKey(), "image/jpeg", media.JPEG(w, h, th.JPEGQuality(), desc), w, h, 0); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// remove deletes outputs a job wrote but will not report.
func (t *Transcoder) remove(spec *transcode.Job, outs []transcode.Output) {
	b := t.buckets[spec.Output.Bucket]
	for _, o := range outs {
		b.Delete(context.Background(), o.Key)
	}
}
