package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/events"
	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/ffmpeg"
	"github.com/servous/servous/transcode/memtranscode"
)

// The names the local run gives its resources, as a deployment would name them in AWS.
const (
	siteBucket    = "petu-site"
	uploadsBucket = "petu-uploads"
	mediaBucket   = "petu-media"
	videosTable   = "petu-videos"
	poolID        = "us-east-1:00000000-0000-4000-8000-000000000000"
	audience      = "petu-local"
)

// config is what a local run can be given.
type config struct {
	// BaseURL is where the server is reached, e.g. "http://localhost:8080".
	BaseURL string
	// Transcoder is "ffmpeg", "mem" or "" to pick ffmpeg when it is on PATH.
	Transcoder string
	// Bus configures the event bus; tests inject duplicates and reordering here.
	Bus *memevents.Options
	// Transcode configures memtranscode; tests inject failures here.
	Transcode *memtranscode.Options
	// Retry is the delay before an event handler's first retry.
	Retry  time.Duration
	Logger *slog.Logger
	// MaxUploadSize limits uploads; zero means petu's default.
	MaxUploadSize int64
	// Metrics receives the functions' metrics documents; nil discards them.
	Metrics io.Writer
	// Limits bound slow and idle connections; zero means defaultLimits.
	Limits limits
	// NoCosts turns off metering what the run would cost on AWS (GET /costs, -demo's report).
	NoCosts bool
}

// local is the whole app on the in-memory adapters, in one process.
type local struct {
	App        *petu.App
	Bus        *memevents.Bus
	Issuer     *memidentity.Issuer
	Pool       *memidentity.Pool
	Site       *memstorage.Bucket
	Uploads    *memstorage.Bucket
	Media      *memstorage.Bucket
	Videos     *memtable.Table[petu.Video]
	Transcoder transcode.Transcoder
	// TranscoderName says which transcoder runs the jobs.
	TranscoderName string
	// OnUpload and OnTranscoded are the event subscriptions, with their dead-letter queues.
	OnUpload, OnTranscoded *memevents.Subscription
	// Costs meters every block as AWS would bill it; nil when the config turns it off.
	Costs *meters

	provider string
	limits   limits
	closers  []func() error
}

// newLocal builds the app and wires the event sources to its functions as the deployment
// template wires them in AWS: object created in the uploads bucket → on-upload; MediaConvert job
// state change → on-transcoded.
func newLocal(ctx context.Context, cfg config) (*local, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = io.Discard
	}
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	l := &local{limits: cfg.Limits.orDefault()}
	var onStorage func(context.Context, storage.Call)
	var onTable func(context.Context, table.Call)
	if !cfg.NoCosts {
		l.Costs = newMeters()
		onStorage, onTable = l.Costs.storageCall, l.Costs.tableCall
	}
	l.Bus = memevents.New(cfg.Bus)
	l.closers = append(l.closers, l.Bus.Close)

	var err error
	l.Issuer, err = memidentity.NewIssuer(base+"/auth", nil)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(l.Issuer.URL())
	if err != nil {
		return nil, err
	}
	// Cognito names an OpenID Connect provider by its issuer's host and path.
	l.provider = u.Host + u.Path
	l.Pool, err = memidentity.New(poolID, &memidentity.Options{
		Providers: []memidentity.Provider{l.Issuer.Provider(l.provider, audience)},
	})
	if err != nil {
		return nil, err
	}
	var exchanger identity.Exchanger = l.Pool
	if l.Costs != nil {
		exchanger = cost.Exchanger(l.Pool, l.Costs.all)
	}

	// The site bucket is metered too: in AWS, browsers load the site from it.
	l.Site = memstorage.New(siteBucket, &memstorage.Options{BaseURL: base + "/s3/" + siteBucket, OnCall: onStorage})
	l.Uploads = memstorage.New(uploadsBucket, &memstorage.Options{
		BaseURL:   base + "/s3/" + uploadsBucket,
		Authority: l.Pool,
		Publisher: l.Bus,
		OnPublishError: func(err error) {
			cfg.Logger.Error("petu: uploads bucket could not publish an event", slog.Any("error", err))
		},
		OnCall: onStorage,
	})
	l.Media = memstorage.New(mediaBucket, &memstorage.Options{BaseURL: base + "/s3/" + mediaBucket, OnCall: onStorage})
	l.Videos, err = memtable.New[petu.Video](videosTable, &memtable.Options{OnCall: onTable})
	if err != nil {
		return nil, err
	}

	buckets := map[string]storage.Bucket{uploadsBucket: l.Uploads, mediaBucket: l.Media}
	name := cfg.Transcoder
	if name == "" {
		name = "mem"
		if _, err := exec.LookPath("ffmpeg"); err == nil {
			if _, err := exec.LookPath("ffprobe"); err == nil {
				name = "ffmpeg"
			}
		}
	}
	switch name {
	case "ffmpeg":
		ft, err := ffmpeg.New(buckets, &ffmpeg.Options{Publisher: l.Bus})
		if err != nil {
			return nil, err
		}
		l.Transcoder, l.TranscoderName = ft, "ffmpeg (real H.264/AAC renditions)"
		l.closers = append(l.closers, ft.Close)
	case "mem":
		o := memtranscode.Options{}
		if cfg.Transcode != nil {
			o = *cfg.Transcode
		}
		o.Publisher = l.Bus
		mt := memtranscode.New(buckets, &o)
		l.Transcoder, l.TranscoderName = mt, "memtranscode (simulated outputs; put ffmpeg on PATH for real ones)"
		l.closers = append(l.closers, mt.Close)
	default:
		return nil, fmt.Errorf("petu: unknown transcoder %q", cfg.Transcoder)
	}

	tr := l.Transcoder
	if l.Costs != nil {
		// petu learns of a job's end from its event; on-transcoded's middleware then asks the
		// transcoder for the job, and so meters its outputs.
		tr = cost.Transcoder(tr, l.Costs.all)
		l.Costs.jobs = tr
	}
	l.App, err = petu.New(petu.Deps{
		Uploads: l.Uploads, Media: l.Media, Videos: l.Videos,
		Identity: exchanger, Transcoder: tr,
	}, petu.Config{
		UploadsBucket: uploadsBucket, MediaBucket: mediaBucket, Provider: l.provider,
		MaxUploadSize: cfg.MaxUploadSize, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}

	// The functions' metrics go where their logs go; in Lambda they go to stdout, for CloudWatch.
	fnOpts := func(mw ...runtime.Middleware) *runtime.Options {
		return &runtime.Options{Logger: cfg.Logger, Metrics: &runtime.MetricsOptions{Writer: cfg.Metrics}, Middleware: mw}
	}
	var onUploadMW, onTranscodedMW []runtime.Middleware
	if l.Costs != nil {
		onUploadMW = append(onUploadMW, l.Costs.function(onUploadFunction, phaseUpload, uploadVideo))
		onTranscodedMW = append(onTranscodedMW, l.Costs.function(onTranscodedFunction, phaseTranscode, l.Costs.transcodedVideo))
	}
	l.OnUpload, err = l.Bus.Subscribe(memevents.Filter{
		Source: events.SourceS3, Types: []string{"ObjectCreated:*"}, Bucket: uploadsBucket, Prefix: petu.UploadPrefix,
	}, runtime.NewHandler(l.App.OnUpload, fnOpts(onUploadMW...)), &memevents.SubscribeOptions{
		Function: &runtime.LocalOptions{FunctionName: onUploadFunction, Timeout: time.Minute},
		Backoff:  cfg.Retry,
	})
	if err != nil {
		return nil, err
	}
	l.OnTranscoded, err = l.Bus.Subscribe(memevents.Filter{
		Source: events.SourceMediaConvert, Types: []string{events.DetailTypeJobStateChange},
		Detail: `{"status": ["PROGRESSING", "COMPLETE", "ERROR", "CANCELED"]}`,
	}, runtime.NewHandler(l.App.OnTranscoded, fnOpts(onTranscodedMW...)), &memevents.SubscribeOptions{
		Function: &runtime.LocalOptions{FunctionName: onTranscodedFunction, Timeout: time.Minute},
		Backoff:  cfg.Retry,
	})
	if err != nil {
		return nil, err
	}

	site := petu.SiteConfig{SignIn: petu.SignInInfo{Provider: "local", TokenURL: "auth/token"}}
	if l.Costs != nil {
		site.Costs = "costs"
	}
	err = petu.PublishSite(ctx, l.Site, site)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Server returns the server for Handler, with its limits on slow and idle connections.
func (l *local) Server(h http.Handler) *http.Server {
	srv := &http.Server{Handler: h}
	l.limits.apply(srv)
	return srv
}

// Close stops the transcoder and the bus.
func (l *local) Close() error {
	var errs []error
	for i := len(l.closers) - 1; i >= 0; i-- {
		errs = append(errs, l.closers[i]())
	}
	return errors.Join(errs...)
}

// Handler serves everything a browser reaches: the website from the site bucket, the API, the
// local sign-in, and the buckets' signed URLs and upload forms.
func (l *local) Handler() http.Handler {
	mux := http.NewServeMux()
	if l.Costs != nil {
		mux.Handle("/api/", l.Costs.api(l.App.API()))
		// What the run has cost so far on AWS; the site shows it when its config names it.
		mux.Handle("/costs", l.Costs.costsHandler())
	} else {
		mux.Handle("/api/", l.App.API())
	}
	// The local stand-in for Google's sign-in: a name in, an ID token out. It answers other
	// methods 405 itself.
	mux.Handle("/auth/token", l.Issuer.SignInHandler(audience))
	// The issuer serves its discovery document and keys under its own URL's path, /auth.
	mux.Handle("/auth/.well-known/", l.Issuer.Handler())
	// Uploads and videos may take as long as they keep moving.
	for _, b := range []*memstorage.Bucket{l.Site, l.Uploads, l.Media} {
		mux.Handle("/s3/"+b.Name()+"/", l.limits.streaming(b.Handler()))
	}
	mux.Handle("/", website(l.Site))
	// The site, the API and the buckets share this origin, so the site's policy allows 'self'.
	return petu.SecurityHeaders(mux, petu.SiteSources{})
}

// website serves a bucket as S3's static website hosting does: "/" is index.html, and every
// object is public.
func website(b storage.Bucket) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		key := strings.TrimPrefix(r.URL.Path, "/")
		if key == "" || strings.HasSuffix(key, "/") {
			key += "index.html"
		}
		obj, err := b.Get(r.Context(), key, nil)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalidKey) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		defer obj.Close()
		h := w.Header()
		h.Set("Content-Type", obj.Info.ContentType)
		h.Set("ETag", obj.Info.ETag)
		if obj.Info.CacheControl != "" {
			h.Set("Cache-Control", obj.Info.CacheControl)
		}
		if r.Header.Get("If-None-Match") == obj.Info.ETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method == http.MethodGet {
			_, _ = io.Copy(w, obj.Body)
		}
	})
}
