package petu

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/transcode"
)

// Defaults of Config.
const (
	DefaultMaxUploadSize = 1 << 30 // 1 GiB
	DefaultUploadExpiry  = 15 * time.Minute
	DefaultURLExpiry     = 15 * time.Minute
	DefaultPageSize      = 20
	MaxPageSize          = 100
)

// DefaultRenditions are the sizes petu makes of every video: 1080p, 720p and 480p, never larger
// than the source.
func DefaultRenditions() []transcode.Rendition {
	return []transcode.Rendition{
		{Name: "-1080p", Height: 1080, NoUpscale: true},
		{Name: "-720p", Height: 720, NoUpscale: true},
		{Name: "-480p", Height: 480, NoUpscale: true},
	}
}

// Deps are the services the app runs on. Each is an interface: petu/cmd/petu passes the in-memory
// adapters, the Lambda entrypoints the AWS ones.
type Deps struct {
	// Uploads is the bucket browsers upload sources to; Media holds the renditions.
	Uploads storage.Bucket
	Media   storage.Bucket
	// Videos is the table of video records.
	Videos table.Table[Video]
	// Identity swaps a caller's sign-in token for an identity and temporary credentials.
	Identity identity.Exchanger
	// Transcoder runs the jobs.
	Transcoder transcode.Transcoder
}

// Config is what the app needs to know beyond its services.
type Config struct {
	// UploadsBucket and MediaBucket are the buckets' names, as events and jobs name them.
	UploadsBucket string
	MediaBucket   string
	// Provider is the login provider whose tokens callers present, a key of Cognito's Logins
	// map: identity.ProviderGoogle in AWS, memidentity's issuer locally.
	Provider string
	// MaxUploadSize is the largest upload accepted, in bytes. Zero means DefaultMaxUploadSize.
	MaxUploadSize int64
	// UploadExpiry is how long an upload form stays valid. Zero means DefaultUploadExpiry.
	UploadExpiry time.Duration
	// URLExpiry is how long the URLs of renditions and thumbnails stay valid. Zero means
	// DefaultURLExpiry.
	URLExpiry time.Duration
	// Renditions are the sizes made of every video. Nil means DefaultRenditions.
	Renditions []transcode.Rendition
	// Logger logs what the functions do. Nil means slog.Default.
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// App is petu: its API and its two event handlers, over the services in Deps.
type App struct {
	Deps
	cfg    Config
	logins *loginCache
}

// New returns the app over deps, checking that every service and name is there.
func New(deps Deps, cfg Config) (*App, error) {
	switch {
	case deps.Uploads == nil, deps.Media == nil, deps.Videos == nil, deps.Identity == nil, deps.Transcoder == nil:
		return nil, errors.New("petu: every service in Deps is required")
	case cfg.UploadsBucket == "" || cfg.MediaBucket == "":
		return nil, errors.New("petu: Config.UploadsBucket and Config.MediaBucket are required")
	case cfg.Provider == "":
		return nil, errors.New("petu: Config.Provider is required")
	}
	if cfg.MaxUploadSize == 0 {
		cfg.MaxUploadSize = DefaultMaxUploadSize
	}
	if cfg.UploadExpiry == 0 {
		cfg.UploadExpiry = DefaultUploadExpiry
	}
	if cfg.URLExpiry == 0 {
		cfg.URLExpiry = DefaultURLExpiry
	}
	if cfg.Renditions == nil {
		cfg.Renditions = DefaultRenditions()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// A bucket refuses such expiries when it signs; refuse them at the start instead.
	for _, e := range []struct {
		name string
		d    time.Duration
	}{{"UploadExpiry", cfg.UploadExpiry}, {"URLExpiry", cfg.URLExpiry}} {
		if e.d != 0 && (e.d < time.Second || e.d > storage.MaxSignExpiry) {
			return nil, fmt.Errorf("petu: %s: %w: %v, want 1s to %v", e.name, storage.ErrInvalidArgument, e.d, storage.MaxSignExpiry)
		}
	}
	a := &App{Deps: deps, cfg: cfg}
	a.logins = newLoginCache(deps.Identity, cfg.Provider, cfg.Now)
	return a, nil
}

// job is the transcoding job for one upload of a video. It is a function of the video and the
// upload's sequencer alone, so every attempt at submitting it submits the same job with the same
// idempotency token, while another upload of the same key (a form posted again, perhaps after a
// delete) gets a token, and so a job, of its own: MediaConvert would otherwise hand back the
// earlier upload's job for a minute, and that job's end has long been told.
func (a *App) job(owner, videoID, upload, sourceKey string) *transcode.Job {
	return &transcode.Job{
		Input:      transcode.Object{Bucket: a.cfg.UploadsBucket, Key: sourceKey},
		Renditions: a.cfg.Renditions,
		Thumbnail:  &transcode.Thumbnail{Name: "-thumb", Height: 360},
		Output: transcode.Destination{
			Bucket: a.cfg.MediaBucket,
			Prefix: mediaPrefix(owner, videoID) + "video",
		},
		Metadata:         map[string]string{"owner": owner, "video": videoID, "upload": upload},
		IdempotencyToken: jobToken(videoID, upload),
	}
}

// jobToken is the idempotency token of an upload's job: the video id, then a digest of the
// upload's sequencer, which S3 makes of hexadecimal digits of varying length (the digest keeps
// the token inside MediaConvert's 64 characters whatever the event says). Sequencers are compared
// as numbers, so leading zeros and case do not count.
func jobToken(videoID, upload string) string {
	seq := strings.TrimLeft(strings.ToUpper(upload), "0")
	sum := sha256.Sum256([]byte(seq))
	return videoID + "." + hex.EncodeToString(sum[:12])
}
