package s3form

import (
	"errors"
	"testing"
	"time"
)

func TestBuildCheck(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	policy, fields := Build(Spec{
		Bucket: "media", Key: "uploads/a.mp4", Expires: now.Add(time.Hour), MaxSize: 100,
		ContentTypePrefix: "video/", Fields: map[string]string{"x-amz-meta-title": "A"},
	})
	fields["policy"] = policy
	fields["Content-Type"] = "video/mp4"
	fields["X-Ignore-Me"] = "fine"
	lim, err := Check(policy, fields, "media", now)
	if err != nil {
		t.Fatal(err)
	}
	if lim != (Limits{0, 100}) {
		t.Errorf("limits = %+v", lim)
	}
	if lim.CheckSize(100) != nil || !errors.Is(lim.CheckSize(101), ErrTooLarge) {
		t.Error("CheckSize around the maximum")
	}
	with := func(k, v string) map[string]string {
		f := map[string]string{}
		for kk, vv := range fields {
			f[kk] = vv
		}
		f[k] = v
		return f
	}
	tests := []struct {
		name   string
		fields map[string]string
		bucket string
		now    time.Time
		want   error
	}{
		{"expired", fields, "media", now.Add(time.Hour), ErrExpired},
		{"other bucket", fields, "other", now, ErrViolation},
		{"other key", with("key", "uploads/b.mp4"), "media", now, ErrViolation},
		{"type outside prefix", with("Content-Type", "text/html"), "media", now, ErrViolation},
		{"metadata changed", with("x-amz-meta-title", "B"), "media", now, ErrViolation},
		{"extra field", with("x-amz-meta-extra", "1"), "media", now, ErrViolation},
	}
	for _, tt := range tests {
		if _, err := Check(policy, tt.fields, tt.bucket, tt.now); !errors.Is(err, tt.want) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, bad := range []string{"!!", "e30=", "eyJleHBpcmF0aW9uIjoieCJ9"} {
		if _, err := Check(bad, fields, "media", now); !errors.Is(err, ErrMalformed) {
			t.Errorf("Check(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestSignPolicy(t *testing.T) {
	// The signing-key derivation of the SigV4 documentation's example.
	key := SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := hexString(key); got != want {
		t.Errorf("SigningKey = %s, want %s", got, want)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// FuzzCheck feeds Check arbitrary policies and fields: it must never panic, and whatever it
// accepts must satisfy its own limits.
func FuzzCheck(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	policy, _ := Build(Spec{Bucket: "b", Key: "k", Expires: now.Add(time.Hour), MaxSize: 10, ContentType: "a/b"})
	f.Add(policy, "k", "a/b")
	f.Add("eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbWyJjb250ZW50LWxlbmd0aC1yYW5nZSIsMSwwXV19", "k", "")
	f.Fuzz(func(t *testing.T, policy, key, contentType string) {
		lim, err := Check(policy, map[string]string{"key": key, "content-type": contentType}, "b", now)
		if err == nil && lim.MaxSize >= 0 && lim.MinSize > lim.MaxSize {
			t.Errorf("accepted limits %+v", lim)
		}
	})
}
