package petu

import (
	"strings"
	"testing"
	"time"
)

const testOwner = "us-east-1:4f1c2a8e-3b9d-4c6e-9a7f-2d5b8e1c0a3f"

func TestParseUploadKey(t *testing.T) {
	id := newVideoID(time.Unix(1795833463, 0))
	good := "uploads/" + testOwner + "/" + id + "/cat.mp4"
	owner, videoID, name, err := ParseUploadKey(good)
	if err != nil || owner != testOwner || videoID != id || name != "cat.mp4" {
		t.Fatalf("ParseUploadKey(%q) = %q, %q, %q, %v", good, owner, videoID, name, err)
	}
	for _, bad := range []string{
		"",
		"cat.mp4",
		"uploads/" + testOwner + "/" + id,
		"uploads/" + testOwner + "/" + id + "/",
		"uploads/" + testOwner + "/" + id + "/a/b.mp4",
		"uploads/" + testOwner + "/" + id + "/..",
		"uploads/" + testOwner + "/" + id + "/.hidden",
		"uploads/" + testOwner + "/" + id + "/a b.mp4",
		"uploads/" + testOwner + "/" + id + "/" + strings.Repeat("a", maxFileName+1),
		"uploads/" + testOwner + "/NOT-AN-ID/cat.mp4",
		"uploads/someone/" + id + "/cat.mp4",
		"uploads/../" + testOwner + "/" + id + "/cat.mp4",
		"videos/" + testOwner + "/" + id + "/cat.mp4",
		"uploads/" + testOwner + "/" + id + "/cat\xff.mp4",
		"uploads/" + testOwner + "/" + id + "/cat\u202egpj.mp4",
		"uploads/" + testOwner + "/" + id + "/" + strings.Repeat("я", maxFileName/2+1),
	} {
		if _, _, _, err := ParseUploadKey(bad); err == nil {
			t.Errorf("ParseUploadKey(%q) accepted", bad)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"cat.mp4":                         "cat.mp4",
		"My Holiday (1).mov":              "My-Holiday--1-.mov",
		`C:\Users\me\cat.mp4`:             "cat.mp4",
		"../../etc/passwd":                "passwd",
		"..":                              "video",
		"":                                "video",
		"ünïcödé.mp4":                     "ünïcödé.mp4",
		"кот.mp4":                         "кот.mp4",
		"кот и пёс.mp4":                   "кот-и-пёс.mp4",
		"猫の動画.mp4":                        "猫の動画.mp4",
		"йо\u0306.mp4":                    "йо\u0306.mp4", // a combining breve, as macOS spells й
		"cat\u202egpj.mp4":                "cat-gpj.mp4",  // a right-to-left override
		"tab\there\x00.mp4":               "tab-here-.mp4",
		"bad\xffutf8.mp4":                 "bad-utf8.mp4",
		strings.Repeat("a", 500) + ".mp4": strings.Repeat("a", maxFileName),
		strings.Repeat("я", 100) + ".mp4": strings.Repeat("я", maxFileName/2),
	} {
		got := cleanFileName(in)
		if got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
		key := uploadKey(testOwner, newVideoID(time.Now()), got)
		if _, _, _, err := ParseUploadKey(key); err != nil {
			t.Errorf("the key of a cleaned name is refused: %v", err)
		}
	}
}

func TestVideoIDsSortByTime(t *testing.T) {
	a := newVideoID(time.UnixMilli(1795833463000))
	b := newVideoID(time.UnixMilli(1795833463001))
	if !(a < b) || !videoIDPattern.MatchString(a) {
		t.Errorf("ids %q, %q: want well-formed and ordered by time", a, b)
	}
}

func TestTokenExpiry(t *testing.T) {
	// {"alg":"none"}.{"exp":1795833463}.sig — unverified on purpose: it only bounds the cache.
	exp, ok := tokenExpiry("eyJhbGciOiJub25lIn0.eyJleHAiOjE3OTU4MzM0NjN9.c2ln")
	if !ok || exp.Unix() != 1795833463 {
		t.Errorf("tokenExpiry = %v, %v", exp, ok)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a.eyJleHAiOiJ4In0.c", "a.eyJleHAiOi0xfQ.c"} {
		if _, ok := tokenExpiry(bad); ok {
			t.Errorf("tokenExpiry(%q) ok", bad)
		}
	}
}

func TestDistinctRenditions(t *testing.T) {
	rs := []Rendition{
		{Key: "v-1080p.mp4", Width: 640, Height: 360},
		{Key: "v-720p.mp4", Width: 640, Height: 360},
		{Key: "v-480p.mp4", Width: 640, Height: 360},
	}
	kept, redundant := distinct(rs)
	if len(kept) != 1 || kept[0].Key != "v-480p.mp4" || kept[0].Name != "360p" || len(redundant) != 2 {
		t.Errorf("distinct = %+v, %v", kept, redundant)
	}
	rs = []Rendition{
		{Key: "v-1080p.mp4", Width: 1920, Height: 1080},
		{Key: "v-720p.mp4", Width: 1280, Height: 720},
		{Key: "v-480p.mp4", Width: 854, Height: 480},
	}
	kept, redundant = distinct(rs)
	if len(kept) != 3 || kept[0].Name != "1080p" || kept[2].Name != "480p" || len(redundant) != 0 {
		t.Errorf("distinct = %+v, %v", kept, redundant)
	}
}

// FuzzParseUploadKey feeds keys as events carry them: whatever the key, ParseUploadKey never
// panics, and what it accepts is exactly an upload key petu could have made.
func FuzzParseUploadKey(f *testing.F) {
	f.Add("uploads/" + testOwner + "/01a2200469bdb4492a99/cat.mp4")
	f.Add("uploads/../x")
	f.Add("uploads/" + testOwner + "/01a2200469bdb4492a99/a/b")
	f.Fuzz(func(t *testing.T, key string) {
		owner, id, name, err := ParseUploadKey(key)
		if err != nil {
			return
		}
		if uploadKey(owner, id, name) != key || cleanFileName(name) != name {
			t.Errorf("accepted %q as %q %q %q", key, owner, id, name)
		}
	})
}
