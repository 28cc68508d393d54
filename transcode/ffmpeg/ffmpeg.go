package ffmpeg

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // thumbnails' sizes are read back
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/jobevent"
	"github.com/servous/servous/transcode/internal/media"
	"github.com/servous/servous/transcode/internal/runner"
)

// Options configures a Transcoder. A nil *Options means ffmpeg and ffprobe from PATH, one job
// at a time per two CPUs (at least one), the veryfast preset, 96 kb/s audio, the system's
// temporary directory and no events.
type Options struct {
	// Publisher receives the job state change events; nil publishes nothing.
	Publisher events.Publisher
	// Region and Account fill the events' envelopes and ARNs.
	Region  string
	Account string
	// FFmpeg and FFprobe are the programs' paths; empty means found on PATH.
	FFmpeg  string
	FFprobe string
	// Concurrency bounds the jobs running at once.
	Concurrency int
	// Preset is the x264 preset, from "ultrafast" to "veryslow".
	Preset string
	// AudioBitrate is the AAC bitrate in bits per second.
	AudioBitrate int
	// TempDir holds the jobs' working files.
	TempDir string
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = runner.ErrClosed

// Transcoder transcodes with ffmpeg. It is safe for concurrent use; Close stops the jobs
// still running.
type Transcoder struct {
	buckets map[string]storage.Bucket
	opts    Options
	jobs    *runner.Runner
}

var _ transcode.Transcoder = (*Transcoder)(nil)

// New returns a Transcoder that reads inputs from and writes outputs to buckets, keyed by
// bucket name as jobs name them. The error wraps exec.ErrNotFound when ffmpeg or ffprobe is
// not installed.
func New(buckets map[string]storage.Bucket, opts *Options) (*Transcoder, error) {
	t := &Transcoder{buckets: buckets}
	if opts != nil {
		t.opts = *opts
	}
	o := &t.opts
	for _, p := range []*string{&o.FFmpeg, &o.FFprobe} {
		name := "ffmpeg"
		if p == &o.FFprobe {
			name = "ffprobe"
		}
		if *p == "" {
			*p = name
		}
		path, err := exec.LookPath(*p)
		if err != nil {
			return nil, fmt.Errorf("ffmpeg: %s is not installed (apt-get install ffmpeg): %w", name, err)
		}
		*p = path
	}
	if o.Concurrency <= 0 {
		o.Concurrency = max(1, runtime.NumCPU()/2)
	}
	if o.Preset == "" {
		o.Preset = "veryfast"
	}
	if o.AudioBitrate == 0 {
		o.AudioBitrate = 96000
	}
	// A process killed mid-job left its files; removing them is worth trying, not worth failing
	// for (another user's, in a shared directory, cannot be removed).
	_ = removeStale(o.TempDir)
	t.jobs = runner.New("ffmpeg", t.work, t.remove, runner.Options{
		Publisher: o.Publisher,
		Region:    o.Region,
		Account:   o.Account,
		Slots:     o.Concurrency,
	})
	return t, nil
}

// Close cancels the jobs still running or waiting, killing their processes, and waits for
// them to stop.
func (t *Transcoder) Close() error { return t.jobs.Close() }

// Submit queues the job. It implements transcode.Transcoder.
func (t *Transcoder) Submit(ctx context.Context, job *transcode.Job) (string, error) {
	return t.jobs.Submit(ctx, job, nil)
}

// Get returns the job's status. It implements transcode.Transcoder.
func (t *Transcoder) Get(ctx context.Context, id string) (*transcode.Status, error) {
	return t.jobs.Get(ctx, id)
}

// Cancel kills the job's process and waits until it and its files are gone. It implements
// transcode.Transcoder.
func (t *Transcoder) Cancel(ctx context.Context, id string) error {
	return t.jobs.Cancel(ctx, id)
}

func openError(spec *transcode.Job, code int, msg string) error {
	return &runner.Error{Code: code, Message: fmt.Sprintf("Unable to open input file [%s]: [Failed probe/open: [%s]]", jobevent.S3URL(spec.Input.Bucket, spec.Input.Key), msg)}
}

func (t *Transcoder) work(ctx context.Context, spec *transcode.Job, progress func(int)) ([]transcode.Output, error) {
	dir, err := makeJobDir(t.opts.TempDir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	input := filepath.Join(dir, "input")
	if err := t.download(ctx, spec, input); err != nil {
		return nil, err
	}
	if err := check(input); err != nil {
		e, ok := media.IsProbeError(err)
		if !ok {
			return nil, err
		}
		// Outside the containers MediaConvert reads video from, ffmpeg would read much that
		// MediaConvert refuses (photos, audio, playlists): the check is the same as
		// memtranscode's and the MediaConvert test server's.
		return nil, openError(spec, e.Code, e.Msg)
	}
	in, err := t.probe(ctx, input)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, openError(spec, transcode.CodeInputAccess, err.Error())
	}
	if !mediaConvertContainer(in.format) {
		// ffprobe reads photos and other images too; MediaConvert, whose behaviour this
		// adapter keeps, has no parser for them.
		return nil, openError(spec, transcode.CodeInputAccess, media.MsgUnknown)
	}
	if in.width <= 0 || in.height <= 0 {
		return nil, openError(spec, transcode.CodeInputAccess, "no video stream found")
	}
	progress(5)

	plan := t.plan(spec, in, dir)
	if err := t.encode(ctx, plan, in.duration, progress); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &runner.Error{Code: transcode.CodeInputDecode, Message: fmt.Sprintf("Unable to transcode input file [%s]: [%v]", jobevent.S3URL(spec.Input.Bucket, spec.Input.Key), err)}
	}

	outs := make([]transcode.Output, len(plan.outputs))
	for i, o := range plan.outputs {
		out, err := describe(o)
		if err != nil {
			return nil, fmt.Errorf("ffmpeg wrote an unreadable output %s: %w", o.key, err)
		}
		out.Bucket = spec.Output.Bucket
		outs[i] = out
	}
	progress(99)
	return t.upload(ctx, spec, plan, outs)
}

// describe reads an output's real size and duration from the file ffmpeg wrote: the MP4's
// movie and track headers, the JPEG's frame header. (Reading headers in process costs far
// less than an ffprobe process per output.)
func describe(o plannedOutput) (transcode.Output, error) {
	f, err := os.Open(o.file)
	if err != nil {
		return transcode.Output{}, err
	}
	defer f.Close()
	out := transcode.Output{Key: o.key}
	if o.thumbnail {
		c, _, err := image.DecodeConfig(f)
		if err != nil {
			return out, err
		}
		out.Width, out.Height = c.Width, c.Height
		return out, nil
	}
	info, err := media.Probe(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return out, err
	}
	out.Width, out.Height, out.Duration = info.Width, info.Height, info.Duration
	return out, nil
}

// check walks an MP4's boxes, so a truncated file fails before ffmpeg, which would encode
// what it can of it and succeed.
func check(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = media.Probe(bufio.NewReaderSize(f, 1<<20))
	return err
}

func (t *Transcoder) download(ctx context.Context, spec *transcode.Job, file string) error {
	b, ok := t.buckets[spec.Input.Bucket]
	if !ok {
		return openError(spec, transcode.CodeInputAccess, "NoSuchBucket")
	}
	obj, err := b.Get(ctx, spec.Input.Key, nil)
	if errors.Is(err, storage.ErrNotFound) {
		return openError(spec, transcode.CodeInputAccess, "NoSuchKey: the input object does not exist")
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return openError(spec, transcode.CodeInputAccess, err.Error())
	}
	defer obj.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, obj); err != nil {
		f.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return openError(spec, transcode.CodeInputAccess, "reading the input: "+err.Error())
	}
	return f.Close()
}

type probed struct {
	format        string // ffprobe's format_name: the demuxer's names, comma-separated
	width, height int
	duration      time.Duration
	audio         bool
}

// containers are the names of ffmpeg's demuxers for the containers MediaConvert reads video
// from, as media.Probe recognises them: QuickTime, MP4, F4V and 3GP; Matroska and WebM; MPEG
// transport and program streams; AVI; ASF (WMV); FLV; MXF; GIF; MPEG-1/2, H.264 and H.265
// elementary streams. ffprobe names the demuxer that read a file, which must be one of these
// too: a file that merely starts like one of them is not enough.
var containers = map[string]bool{
	"mov": true, "mp4": true, "m4a": true, "3gp": true, "3g2": true,
	"matroska": true, "webm": true,
	"mpegts": true, "mpeg": true,
	"avi": true, "asf": true, "flv": true, "mxf": true, "gif": true,
	"mpegvideo": true, "h264": true, "hevc": true,
}

// mediaConvertContainer reports whether format, ffprobe's format_name, is a container
// MediaConvert accepts. Still images (image2, jpeg_pipe, png_pipe …) are not.
func mediaConvertContainer(format string) bool {
	for name := range strings.SplitSeq(format, ",") {
		if containers[name] {
			return true
		}
	}
	return false
}

// probe runs ffprobe on file.
func (t *Transcoder) probe(ctx context.Context, file string) (probed, error) {
	cmd := exec.CommandContext(ctx, t.opts.FFprobe, "-v", "error",
		"-show_entries", "stream=codec_type,width,height:stream_side_data=rotation:stream_tags=rotate:format=format_name,duration",
		"-of", "json", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return probed{}, fmt.Errorf("ffprobe: %v: %s", err, lastLines(stderr.String(), 3))
	}
	out := stdout.Bytes()
	var r struct {
		Streams []struct {
			CodecType string            `json:"codec_type"`
			Width     int               `json:"width"`
			Height    int               `json:"height"`
			Tags      map[string]string `json:"tags"`
			SideData  []struct {
				Rotation int `json:"rotation"`
			} `json:"side_data_list"`
		} `json:"streams"`
		Format struct {
			Name     string `json:"format_name"`
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return probed{}, fmt.Errorf("ffprobe output: %w", err)
	}
	p := probed{format: r.Format.Name}
	for _, s := range r.Streams {
		switch s.CodecType {
		case "video":
			if p.width != 0 {
				break
			}
			p.width, p.height = s.Width, s.Height
			// ffmpeg turns the picture upright, so a phone's portrait video, stored
			// landscape with a rotation, comes out portrait.
			rot, _ := strconv.Atoi(s.Tags["rotate"])
			for _, sd := range s.SideData {
				if sd.Rotation != 0 {
					rot = sd.Rotation
				}
			}
			if rot%180 != 0 {
				p.width, p.height = p.height, p.width
			}
		case "audio":
			p.audio = true
		}
	}
	if secs, err := strconv.ParseFloat(r.Format.Duration, 64); err == nil {
		p.duration = time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
	}
	return p, nil
}

type plannedOutput struct {
	key       string
	file      string
	thumbnail bool
}

type plan struct {
	args    []string
	outputs []plannedOutput
}

// plan builds the ffmpeg command line for the whole job: decode once, split the picture,
// scale each branch, encode each output.
func (t *Transcoder) plan(spec *transcode.Job, in probed, dir string) plan {
	return buildPlan(spec, in, dir, t.opts.Preset, t.opts.AudioBitrate)
}

func buildPlan(spec *transcode.Job, in probed, dir, preset string, audioBitrate int) plan {
	n := len(spec.Renditions)
	if spec.Thumbnail != nil {
		n++
	}
	var filter strings.Builder
	fmt.Fprintf(&filter, "[0:v:0]split=%d", n)
	for i := range n {
		fmt.Fprintf(&filter, "[s%d]", i)
	}
	var p plan
	var outArgs []string
	for i := range spec.Renditions {
		r := &spec.Renditions[i]
		w, h := transcode.OutputSize(in.width, in.height, r.Width, r.Height, r.NoUpscale)
		fmt.Fprintf(&filter, ";[s%d]scale=%d:%d:flags=bicubic,setsar=1[v%d]", i, w, h, i)
		file := filepath.Join(dir, fmt.Sprintf("out%d.mp4", i))
		outArgs = append(outArgs, "-map", fmt.Sprintf("[v%d]", i))
		if in.audio {
			outArgs = append(outArgs, "-map", "0:a:0", "-c:a", "aac", "-b:a", strconv.Itoa(audioBitrate), "-ac", "2", "-ar", "48000")
		}
		outArgs = append(outArgs, "-c:v", "libx264", "-preset", preset, "-profile:v", "high", "-pix_fmt", "yuv420p")
		quality, bitrate := r.Mode()
		if quality > 0 {
			outArgs = append(outArgs, "-crf", strconv.Itoa(38-2*quality))
			if bitrate > 0 {
				outArgs = append(outArgs, "-maxrate", strconv.Itoa(bitrate), "-bufsize", strconv.Itoa(2*bitrate))
			}
		} else {
			outArgs = append(outArgs, "-b:v", strconv.Itoa(bitrate))
		}
		outArgs = append(outArgs, "-movflags", "+faststart", "-f", "mp4", file)
		p.outputs = append(p.outputs, plannedOutput{key: spec.RenditionKey(r), file: file})
	}
	if th := spec.Thumbnail; th != nil {
		i := n - 1
		w, h := transcode.OutputSize(in.width, in.height, th.Width, th.Height, false)
		fmt.Fprintf(&filter, ";[s%d]scale=%d:%d:flags=bicubic,setsar=1[v%d]", i, w, h, i)
		file := filepath.Join(dir, "thumb.jpg")
		// JPEG quality 1–100 onto ffmpeg's -q:v scale, 31 (worst) to 2 (best).
		q := 2 + (100-th.JPEGQuality())*29/99
		outArgs = append(outArgs, "-map", fmt.Sprintf("[v%d]", i), "-frames:v", "1", "-q:v", strconv.Itoa(q), "-f", "image2", "-update", "1", file)
		p.outputs = append(p.outputs, plannedOutput{key: spec.ThumbnailKey(), file: file, thumbnail: true})
	}
	p.args = append([]string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
		"-i", filepath.Join(dir, "input"), "-filter_complex", filter.String()}, outArgs...)
	return p
}

// encode runs ffmpeg, turning its -progress reports into percentages of duration.
func (t *Transcoder) encode(ctx context.Context, p plan, duration time.Duration, progress func(int)) error {
	args := append([]string{"-progress", "pipe:1"}, p.args...)
	cmd := exec.CommandContext(ctx, t.opts.FFmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := start(cmd); err != nil {
		return err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "out_time_us=")
		if !ok || duration <= 0 {
			continue
		}
		if us, err := strconv.ParseInt(v, 10, 64); err == nil && us > 0 {
			progress(5 + int(90*time.Duration(us)*time.Microsecond/duration))
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, lastLines(stderr.String(), 5))
	}
	return nil
}

// upload puts every output, or none: on an error it deletes what it put.
func (t *Transcoder) upload(ctx context.Context, spec *transcode.Job, p plan, outs []transcode.Output) ([]transcode.Output, error) {
	b, ok := t.buckets[spec.Output.Bucket]
	if !ok {
		return nil, &runner.Error{Code: transcode.CodeOutputWrite, Message: fmt.Sprintf("Unable to write to output file [s3://%s/]: [NoSuchBucket]", spec.Output.Bucket)}
	}
	for i, o := range p.outputs {
		info, err := t.put(ctx, b, o)
		if err != nil {
			t.remove(spec, outs[:i])
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &runner.Error{Code: transcode.CodeOutputWrite, Message: fmt.Sprintf("Unable to write to output file [%s]: [%v]", jobevent.S3URL(spec.Output.Bucket, o.key), err)}
		}
		outs[i].Size = info.Size
	}
	return outs, nil
}

func (t *Transcoder) put(ctx context.Context, b storage.Bucket, o plannedOutput) (*storage.ObjectInfo, error) {
	f, err := os.Open(o.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ct := "video/mp4"
	if o.thumbnail {
		ct = "image/jpeg"
	}
	return b.Put(ctx, o.key, f, &storage.PutOptions{ContentType: ct})
}

// remove deletes outputs a job uploaded but will not report.
func (t *Transcoder) remove(spec *transcode.Job, outs []transcode.Output) {
	b := t.buckets[spec.Output.Bucket]
	for _, o := range outs {
		b.Delete(context.Background(), o.Key)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
