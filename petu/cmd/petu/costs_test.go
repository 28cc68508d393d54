package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/petu"
)

func TestVideoOfKey(t *testing.T) {
	for key, want := range map[string]string{
		"uploads/us-east-1:abc/01a2385c960293e2ed2b/clip.mp4":            "01a2385c960293e2ed2b",
		"videos/us-east-1:abc/01a2385c960293e2ed2b/video-480p.mp4":       "01a2385c960293e2ed2b",
		"videos/us-east-1:abc/01a2385c960293e2ed2b/thumbs/x.0000000.jpg": "01a2385c960293e2ed2b",
		"uploads/us-east-1:abc/01a2385c960293e2ed2b":                     "",
		"uploads/":       "",
		"index.html":     "",
		"other/a/b/c":    "",
		"":               "",
		"videos/a//file": "",
	} {
		if got := videoOfKey(key); got != want {
			t.Errorf("videoOfKey(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestCosts runs an upload through the pipeline and reads GET /costs: the video's upload,
// transcode and storage are priced, and within the run's total.
func TestCosts(t *testing.T) {
	l, base := startLocal(t, config{})
	ctx := t.Context()
	c := signIn(t, l, base, "ada")
	watch := watchJobs(t, l, 1)
	up, err := upload(ctx, c, "clip.mp4", "video/mp4", sample)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch.done:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	settle(t, ctx, l)
	var v petu.VideoView
	if err := c.do(ctx, http.MethodGet, "/api/videos/"+up.VideoID, nil, &v); err != nil || v.Status != petu.StatusReady {
		t.Fatalf("video %s: %v, status %q", up.VideoID, err, v.Status)
	}
	var got costsView
	if err := c.do(ctx, http.MethodGet, "/costs", nil, &got); err != nil {
		t.Fatal(err)
	}
	vc, ok := got.Videos[up.VideoID]
	if !ok {
		t.Fatalf("GET /costs has no video %s: %+v", up.VideoID, got)
	}
	if vc.Upload <= 0 || vc.Transcode <= 0 || vc.Storage <= 0 || vc.Playback != 0 {
		t.Errorf("video's costs %+v: want upload, transcode and storage above zero, no playback yet", vc)
	}
	if sum := vc.Upload + vc.Transcode + vc.Playback; got.Total < sum {
		t.Errorf("total %g below the video's %g", got.Total, sum)
	}
	if got.Region != "us-east-1" || got.Includes == "" {
		t.Errorf("region %q, includes %q", got.Region, got.Includes)
	}

	// What the meters saw, in AWS's units: one form upload (a POST, tier 1), the source stored,
	// the job's outputs, each function invoked.
	u := l.Costs.all.Usage()
	if n := u.Get(cost.ServiceS3, uploadsBucket, cost.UnitS3Tier1); n != 1 {
		t.Errorf("uploads bucket: %g tier-1 requests, want the form's POST", n)
	}
	if n := u.Get(cost.ServiceS3, uploadsBucket, cost.UnitStoredBytes); n != float64(len(sample)) {
		t.Errorf("uploads bucket: %g bytes stored, want %d", n, len(sample))
	}
	if u.Get(cost.ServiceMediaConvert, "Default", cost.UnitMinutesSD) <= 0 {
		t.Error("no MediaConvert output minutes")
	}
	for _, fn := range []string{apiFunction, onUploadFunction, onTranscodedFunction} {
		if u.Get(cost.ServiceLambda, fn, cost.UnitRequests) < 1 {
			t.Errorf("%s: no invocation metered", fn)
		}
	}
	if u.Get(cost.ServiceDynamoDB, videosTable, cost.UnitWriteUnits) <= 0 {
		t.Error("no DynamoDB write units")
	}
	if u.Get(cost.ServiceCognitoIdentity, l.provider, cost.UnitExchanges) < 1 {
		t.Error("no identity pool exchange")
	}

	// Watching a rendition is playback: transfer out of the media bucket.
	if _, err := c.fetch(ctx, v.Renditions[0].URL); err != nil {
		t.Fatal(err)
	}
	if err := c.do(ctx, http.MethodGet, "/costs", nil, &got); err != nil {
		t.Fatal(err)
	}
	if p := got.Videos[up.VideoID].Playback; p <= 0 {
		t.Errorf("playback %g after fetching a rendition", p)
	}
}

// TestNoCosts: with metering off, as in a deployment, the site's config names no costs and
// there is no GET /costs.
func TestNoCosts(t *testing.T) {
	l, base := startLocal(t, config{NoCosts: true})
	if l.Costs != nil {
		t.Fatal("metering on")
	}
	c := &client{base: base, http: http.DefaultClient}
	var conf map[string]any
	if err := c.do(context.Background(), http.MethodGet, "/config.json", nil, &conf); err != nil {
		t.Fatal(err)
	}
	if _, ok := conf["costs"]; ok {
		t.Errorf("config.json names costs: %v", conf)
	}
	err := c.do(context.Background(), http.MethodGet, "/costs", nil, nil)
	if he, ok := err.(*httpError); !ok || he.status != http.StatusNotFound {
		t.Errorf("GET /costs: %v, want 404", err)
	}
}

func TestJSONString(t *testing.T) {
	for _, c := range []struct {
		doc, name, want string
		ok              bool
	}{
		{`{"detail":{"userMetadata":{"owner":"o","video":"01a2"}}}`, "video", "01a2", true},
		{`{"a" : "video", "video" :  "x y"}`, "video", "x y", true},
		{"{\"video\"\n:\t\"v\"}", "video", "v", true},
		{`{"video":"a\"b"}`, "video", "", false},
		{`{"video":12}`, "video", "", false},
		{`{"video":"unterminated`, "video", "", false},
		{`{"other":"video"}`, "video", "", false},
		{`{}`, "video", "", false},
		{``, "video", "", false},
	} {
		got, ok := jsonString([]byte(c.doc), c.name)
		if got != c.want || ok != c.ok {
			t.Errorf("jsonString(%s, %q) = %q, %v; want %q, %v", c.doc, c.name, got, ok, c.want, c.ok)
		}
	}
}
