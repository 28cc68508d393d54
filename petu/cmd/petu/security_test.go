package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
)

func TestTokensRefused(t *testing.T) {
	l, base := startLocal(t, config{})
	forger, err := memidentity.NewIssuer(l.Issuer.URL(), nil) // same issuer URL, another key
	if err != nil {
		t.Fatal(err)
	}
	forged, err := forger.Issue(memidentity.Claims{Subject: "alice", Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := l.Issuer.Issue(memidentity.Claims{
		Subject: "alice", Audience: audience,
		IssuedAt: time.Now().Add(-3 * time.Hour), Expiry: time.Now().Add(-2 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	otherAudience, err := l.Issuer.Issue(memidentity.Claims{Subject: "alice", Audience: "another-app"})
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"missing": "", "garbage": "not-a-token", "forged": forged, "expired": expired, "wrong audience": otherAudience,
	} {
		c := &client{base: base, token: token, http: http.DefaultClient}
		err := c.do(t.Context(), http.MethodGet, "/api/videos", nil, nil)
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusUnauthorized {
			t.Errorf("%s token: got %v, want 401", name, err)
		}
	}
}

func TestCallersSeeOnlyTheirOwnVideos(t *testing.T) {
	ctx := t.Context()
	l, base := startLocal(t, config{})
	alice, bob := signIn(t, l, base, "alice"), signIn(t, l, base, "bob")
	watch := watchJobs(t, l, 1)
	up, err := upload(ctx, alice, "cat.mp4", "video/mp4", sample)
	if err != nil {
		t.Fatal(err)
	}
	<-watch.done
	settle(t, ctx, l)

	var list petu.VideoList
	if err := alice.do(ctx, http.MethodGet, "/api/videos", nil, &list); err != nil || len(list.Videos) != 1 {
		t.Fatalf("alice lists %d videos (%v), want her 1", len(list.Videos), err)
	}
	if err := bob.do(ctx, http.MethodGet, "/api/videos", nil, &list); err != nil || len(list.Videos) != 0 {
		t.Fatalf("bob lists %d videos (%v), want 0", len(list.Videos), err)
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		err := bob.do(ctx, method, "/api/videos/"+up.VideoID, nil, nil)
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusNotFound {
			t.Errorf("bob %s alice's video: %v, want 404", method, err)
		}
	}
	// Bob cannot upload into Alice's prefix with a form of his own, edited.
	var bobs petu.UploadResponse
	if err := bob.do(ctx, http.MethodPost, "/api/uploads", petu.UploadRequest{FileName: "x.mp4", ContentType: "video/mp4", Size: int64(len("overwrite"))}, &bobs); err != nil {
		t.Fatal(err)
	}
	owner, _, _, _ := petu.ParseUploadKey(up.Key)
	bobs.Form.Fields["key"] = "uploads/" + owner + "/" + up.VideoID + "/cat.mp4"
	err = postForm(ctx, bob, bobs.Form, "video/mp4", []byte("overwrite"))
	var he *httpError
	if !errors.As(err, &he) || he.status != http.StatusForbidden {
		t.Errorf("bob's form edited to alice's key: %v, want 403", err)
	}
	info, err := l.Uploads.Head(ctx, up.Key)
	if err != nil || info.Size != int64(len(sample)) {
		t.Errorf("alice's upload after bob's attempt: %+v, %v", info, err)
	}

	// Alice deletes: record, source and renditions go.
	if err := alice.do(ctx, http.MethodDelete, "/api/videos/"+up.VideoID, nil, nil); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx, l)
	if n := l.Videos.Len(); n != 0 {
		t.Errorf("%d records after delete", n)
	}
	if n := l.Uploads.Len() + l.Media.Len(); n != 0 {
		t.Errorf("%d objects left after delete", n)
	}
}

func TestUploadsRefused(t *testing.T) {
	ctx := t.Context()
	l, base := startLocal(t, config{MaxUploadSize: 1000})
	alice := signIn(t, l, base, "alice")
	cases := []struct {
		name        string
		req         petu.UploadRequest
		contentType string // sent with the file
		size        int
		status      int
	}{
		{"not a video", petu.UploadRequest{FileName: "a.txt", ContentType: "text/plain"}, "text/plain", 10, http.StatusBadRequest},
		{"declared too large", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 1001}, "video/mp4", 10, http.StatusRequestEntityTooLarge},
		{"declared negative", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: -1}, "video/mp4", 10, http.StatusBadRequest},
		{"declared empty", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 0}, "video/mp4", 0, http.StatusBadRequest},
		{"sent too large", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 10}, "video/mp4", 1001, http.StatusBadRequest},
		{"sent more than declared", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 10}, "video/mp4", 11, http.StatusBadRequest},
		{"sent less than declared", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 10}, "video/mp4", 9, http.StatusBadRequest},
		{"sent empty", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 10}, "video/mp4", 0, http.StatusBadRequest},
		{"sent as another type", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 10}, "text/html", 10, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var up petu.UploadResponse
			err := alice.do(ctx, http.MethodPost, "/api/uploads", tc.req, &up)
			if err == nil {
				err = postForm(ctx, alice, up.Form, tc.contentType, make([]byte, tc.size))
			}
			var he *httpError
			if !errors.As(err, &he) || he.status != tc.status {
				t.Errorf("got %v, want HTTP %d", err, tc.status)
			}
		})
	}
	settle(t, ctx, l)
	if n := l.Uploads.Len(); n != 0 {
		t.Errorf("%d objects stored from refused uploads", n)
	}
}

// TestEventKeysValidated publishes notifications whose keys petu's API could not have made, as
// anyone allowed to write to the bucket could cause: on-upload drops them without a record, a
// job or a retry.
func TestEventKeysValidated(t *testing.T) {
	ctx := t.Context()
	l, _ := startLocal(t, config{})
	for _, key := range []string{
		"uploads/../../etc/passwd",
		"uploads/us-east-1:00000000-0000-0000-0000-000000000000/01a2200469bdb4492a99/a/b.mp4",
		"uploads/not-an-identity/01a2200469bdb4492a99/a.mp4",
		"uploads/us-east-1:00000000-0000-0000-0000-000000000000/short/a.mp4",
		"uploads/us-east-1:00000000-0000-0000-0000-000000000000/01a2200469bdb4492a99/a b.mp4",
	} {
		e, err := events.NewObjectEvent(events.ObjectEvent{
			Name: events.ObjectCreatedPut, Bucket: uploadsBucket, Key: key, Size: 10, ETag: `"x"`,
			Sequencer: "0A", Time: time.Now(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Bus.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, ctx, l)
	if n := l.Videos.Len(); n != 0 {
		t.Errorf("%d records from bad keys", n)
	}
	if dl := l.OnUpload.DeadLetters(); len(dl) != 0 {
		t.Errorf("%d dead letters: bad keys must be dropped, not retried", len(dl))
	}
	if st := l.Bus.Stats(); st.Retries != 0 {
		t.Errorf("bad keys were retried: %+v", st)
	}
}

// TestReplayAfterDelete delivers an upload's notification again after its video was deleted, as
// S3 may: the video stays deleted.
func TestReplayAfterDelete(t *testing.T) {
	ctx := t.Context()
	l, base := startLocal(t, config{})
	alice := signIn(t, l, base, "alice")
	watch := watchJobs(t, l, 1)
	up, err := upload(ctx, alice, "cat.mp4", "video/mp4", sample)
	if err != nil {
		t.Fatal(err)
	}
	<-watch.done
	settle(t, ctx, l)
	info, err := l.Uploads.Head(ctx, up.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.do(ctx, http.MethodDelete, "/api/videos/"+up.VideoID, nil, nil); err != nil {
		t.Fatal(err)
	}
	e, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: uploadsBucket, Key: up.Key, Size: info.Size, ETag: info.ETag,
		Sequencer: "0A", Time: info.LastModified,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Bus.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx, l)
	if n := l.Videos.Len(); n != 0 {
		t.Errorf("%d records after the replay of a deleted video's upload", n)
	}
}

// TestListNewestFirstInPages lists a caller's videos in pages, newest first, and refuses bad
// paging parameters.
func TestListNewestFirstInPages(t *testing.T) {
	ctx := t.Context()
	l, base := startLocal(t, config{})
	ann := signIn(t, l, base, "ann")
	var up petu.UploadResponse
	if err := ann.do(ctx, http.MethodPost, "/api/uploads", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 1}, &up); err != nil {
		t.Fatal(err)
	}
	owner, _, _, err := petu.ParseUploadKey(up.Key)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var videos []petu.Video
	for i := range 5 {
		id := fmt.Sprintf("%012x%08x", start.Add(time.Duration(i)*time.Second).UnixMilli(), i)
		videos = append(videos, petu.Video{Owner: owner, ID: id, FileName: fmt.Sprintf("v%d.mp4", i), Status: petu.StatusPending})
	}
	if err := l.Videos.BatchWrite(ctx, videos, nil); err != nil {
		t.Fatal(err)
	}
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		var list petu.VideoList
		if err := ann.do(ctx, http.MethodGet, "/api/videos?limit=2&cursor="+url.QueryEscape(cursor), nil, &list); err != nil {
			t.Fatal(err)
		}
		for _, v := range list.Videos {
			names = append(names, v.FileName)
		}
		if cursor = list.Next; cursor == "" {
			break
		}
	}
	if want := []string{"v4.mp4", "v3.mp4", "v2.mp4", "v1.mp4", "v0.mp4"}; !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?cursor=not-a-cursor"} {
		err := ann.do(ctx, http.MethodGet, "/api/videos"+q, nil, nil)
		var he *httpError
		if !errors.As(err, &he) || he.status != http.StatusBadRequest {
			t.Errorf("GET /api/videos%s: %v, want 400", q, err)
		}
	}
}
