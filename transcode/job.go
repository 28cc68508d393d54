package transcode

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Limits a job must keep, MediaConvert's where MediaConvert has one.
const (
	// MinDimension and MaxDimension bound a requested width or height in pixels.
	MinDimension = 32
	MaxDimension = 8192
	// MinBitrate and MaxBitrate bound Rendition.Bitrate in bits per second.
	MinBitrate = 1000
	MaxBitrate = 1152000000
	// MaxRenditions bounds the renditions of one job.
	MaxRenditions = 20
	// MaxTokenLength bounds Job.IdempotencyToken, as MediaConvert bounds ClientRequestToken.
	MaxTokenLength = 64
	// MaxNameLength bounds a rendition's or thumbnail's name.
	MaxNameLength = 64
	// MaxMetadata bounds the number of user metadata entries.
	MaxMetadata = 10
	// DefaultQuality is the quality of a rendition that sets neither Quality nor Bitrate.
	DefaultQuality = 7
)

// Job describes a transcoding job.
type Job struct {
	// Input is the video to transcode.
	Input Object
	// Renditions are the MP4 outputs wanted; at least one.
	Renditions []Rendition
	// Thumbnail, when not nil, asks for a JPEG of the first frame.
	Thumbnail *Thumbnail
	// Output is where the outputs go; see the package doc for how keys are made.
	Output Destination
	// Metadata is carried to the job's status and its state change events (MediaConvert's
	// userMetadata). At most MaxMetadata entries.
	Metadata map[string]string
	// IdempotencyToken, when not empty, makes Submit return the job submitted with the same
	// token less than a minute earlier instead of starting another (MediaConvert's
	// ClientRequestToken, which MediaConvert honours for one minute after the request that
	// created the job). Up to MaxTokenLength printable ASCII characters.
	IdempotencyToken string
}

// Object names an object in a bucket.
type Object struct {
	Bucket string
	Key    string
}

// Destination is where a job writes its outputs.
type Destination struct {
	Bucket string
	// Prefix starts every output key; see the package doc.
	Prefix string
}

// Rendition is one H.264/AAC MP4 output.
type Rendition struct {
	// Name is appended to the output's base name (MediaConvert's name modifier), e.g.
	// "-720p". Letters, digits, '-', '_' and '.'; unique within the job.
	Name string
	// Width and Height are the target size in pixels; set one or both (see the package doc
	// on sizes). Each is 0 or an even number from MinDimension to MaxDimension.
	Width  int
	Height int
	// NoUpscale keeps an input smaller than the target at its own size.
	NoUpscale bool
	// Quality is the H.264 quality level from 1 (smallest) to 10 (best), MediaConvert's
	// QVBR level; the ffmpeg adapter maps it to x264's CRF as 38 - 2×Quality (7 → 24).
	// Zero with zero Bitrate means DefaultQuality.
	Quality int
	// Bitrate, in bits per second, is the average bitrate when Quality is 0, and the
	// maximum bitrate when Quality is set.
	Bitrate int
}

// Thumbnail is a JPEG of the input's first frame.
type Thumbnail struct {
	// Name is appended to the base name like a rendition's; unique within the job.
	Name string
	// Width and Height follow the same rules as a rendition's; both 0 means the input's
	// size.
	Width  int
	Height int
	// Quality is the JPEG quality from 1 to 100; 0 means 80.
	Quality int
}

// JPEGQuality returns the thumbnail's JPEG quality with the default applied.
func (t *Thumbnail) JPEGQuality() int {
	if t.Quality == 0 {
		return 80
	}
	return t.Quality
}

// Mode returns how the rendition's H.264 rate is controlled: quality (1–10) and maximum
// bitrate (0 when unbounded), or average bitrate (quality 0).
func (r *Rendition) Mode() (quality, bitrate int) {
	if r.Quality == 0 && r.Bitrate == 0 {
		return DefaultQuality, 0
	}
	return r.Quality, r.Bitrate
}

// OutputKey returns the key of the output with the given name and extension (".mp4"), as
// the package doc describes.
func (j *Job) OutputKey(name, ext string) string {
	p := j.Output.Prefix
	if p == "" || strings.HasSuffix(p, "/") {
		base := path.Base(j.Input.Key)
		base = strings.TrimSuffix(base, path.Ext(base))
		return p + base + name + ext
	}
	return p + name + ext
}

// RenditionKey returns the key of rendition r's MP4.
func (j *Job) RenditionKey(r *Rendition) string { return j.OutputKey(r.Name, ".mp4") }

// ThumbnailKey returns the key of the thumbnail, named as MediaConvert names the first frame
// capture; "" without a thumbnail.
func (j *Job) ThumbnailKey() string {
	if j.Thumbnail == nil {
		return ""
	}
	return j.OutputKey(j.Thumbnail.Name, ".0000000.jpg")
}

// Keys returns the keys of every output the job writes, in the order of Status.Outputs.
func (j *Job) Keys() []string {
	keys := make([]string, 0, len(j.Renditions)+1)
	for i := range j.Renditions {
		keys = append(keys, j.RenditionKey(&j.Renditions[i]))
	}
	if j.Thumbnail != nil {
		keys = append(keys, j.ThumbnailKey())
	}
	return keys
}

// Validate reports every reason the job cannot run, as one error wrapping ErrInvalidJob; nil
// when it can.
func (j *Job) Validate() error {
	if j == nil {
		return fmt.Errorf("%w: nil job", ErrInvalidJob)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if j.Input.Bucket == "" {
		bad("input bucket is empty")
	}
	if j.Input.Key == "" {
		bad("input key is empty")
	}
	if j.Output.Bucket == "" {
		bad("output bucket is empty")
	}
	if len(j.Renditions) == 0 {
		bad("no renditions")
	}
	if len(j.Renditions) > MaxRenditions {
		bad("%d renditions, more than %d", len(j.Renditions), MaxRenditions)
	}
	names := map[string]bool{}
	name := func(what, n string) {
		if err := checkName(n); err != nil {
			bad("%s: %v", what, err)
			return
		}
		if names[n] {
			bad("%s: name %q used twice; output names must differ", what, n)
		}
		names[n] = true
	}
	for i := range j.Renditions {
		r := &j.Renditions[i]
		what := fmt.Sprintf("rendition %d (%q)", i, r.Name)
		name(what, r.Name)
		if r.Width == 0 && r.Height == 0 {
			bad("%s: width and height are both 0; set a height, a width or both", what)
		}
		checkDimension(bad, what, "width", r.Width)
		checkDimension(bad, what, "height", r.Height)
		if r.Quality < 0 || r.Quality > 10 {
			bad("%s: quality %d out of range 1-10", what, r.Quality)
		}
		if r.Bitrate != 0 && (r.Bitrate < MinBitrate || r.Bitrate > MaxBitrate) {
			bad("%s: bitrate %d out of range %d-%d", what, r.Bitrate, MinBitrate, MaxBitrate)
		}
	}
	if t := j.Thumbnail; t != nil {
		what := fmt.Sprintf("thumbnail (%q)", t.Name)
		name(what, t.Name)
		checkDimension(bad, what, "width", t.Width)
		checkDimension(bad, what, "height", t.Height)
		if t.Quality < 0 || t.Quality > 100 {
			bad("%s: quality %d out of range 1-100", what, t.Quality)
		}
	}
	if len(j.Metadata) > MaxMetadata {
		bad("%d metadata entries, more than %d", len(j.Metadata), MaxMetadata)
	}
	if len(j.IdempotencyToken) > MaxTokenLength {
		bad("idempotency token longer than %d characters", MaxTokenLength)
	}
	for _, c := range j.IdempotencyToken {
		if c < 0x20 || c > 0x7e {
			bad("idempotency token has a character that is not printable ASCII")
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidJob, errors.Join(errs...))
}

func checkName(n string) error {
	if n == "" {
		return errors.New("name is empty")
	}
	if len(n) > MaxNameLength {
		return fmt.Errorf("name longer than %d characters", MaxNameLength)
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("name %q has %q; use letters, digits, '-', '_' and '.'", n, c)
		}
	}
	return nil
}

func checkDimension(bad func(string, ...any), what, dim string, v int) {
	switch {
	case v == 0:
	case v < MinDimension || v > MaxDimension:
		bad("%s: %s %d out of range %d-%d", what, dim, v, MinDimension, MaxDimension)
	case v%2 != 0:
		bad("%s: %s %d is odd; H.264 needs even dimensions", what, dim, v)
	}
}

// OutputSize returns the size of an output made from an input of srcW×srcH pixels with a
// target of w×h (either may be 0), following the rules in the package doc. Both targets 0
// keep the input's size. It returns 0, 0 when the input size is not positive.
func OutputSize(srcW, srcH, w, h int, noUpscale bool) (int, int) {
	if srcW <= 0 || srcH <= 0 {
		return 0, 0
	}
	var scale float64
	switch {
	case w == 0 && h == 0:
		scale = 1
	case w == 0:
		scale = float64(h) / float64(srcH)
	case h == 0:
		scale = float64(w) / float64(srcW)
	default:
		scale = min(float64(w)/float64(srcW), float64(h)/float64(srcH))
	}
	if scale >= 1 && noUpscale || scale == 1 {
		return down2(srcW), down2(srcH)
	}
	ow, oh := even(float64(srcW)*scale), even(float64(srcH)*scale)
	// The dimension the caller named is exact, not subject to rounding of the scale.
	switch {
	case w == 0 && h != 0:
		oh = h
	case h == 0 && w != 0:
		ow = w
	}
	return ow, oh
}

// even rounds x to the nearest even integer, at least 2.
func even(x float64) int {
	n := int(x/2+0.5) * 2
	return max(n, 2)
}

func down2(n int) int { return max(n&^1, 2) }
