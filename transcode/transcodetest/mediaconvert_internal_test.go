package transcodetest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// The token table holds the last window's tokens only, and the job table the jobs not yet
// past their retention: a server that runs long does not grow without bound.
func TestMediaConvertTablesPruned(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := NewMediaConvert(&MediaConvertOptions{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}})
	t.Cleanup(srv.Close)
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}
	held := func() (tokens, issued, jobs int) {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.tokens), len(srv.issued), len(srv.jobs)
	}
	create := func(token string) string {
		t.Helper()
		body := fmt.Sprintf(`{"role":"arn:aws:iam::111122223333:role/MediaConvertRole","clientRequestToken":%q,"settings":{"inputs":[{"fileInput":"s3://in/a.mp4"}],"outputGroups":[{"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://out/p/"}},"outputs":[{"nameModifier":"-a","containerSettings":{"container":"MP4"},"videoDescription":{"height":120,"codecSettings":{"codec":"H_264","h264Settings":{"rateControlMode":"QVBR","qvbrSettings":{"qvbrQualityLevel":7},"maxBitrate":1000000}}}}]}]}}`, token)
		req := httptest.NewRequest(http.MethodPost, "/2017-08-29/jobs", bytes.NewReader([]byte(body)))
		w := httptest.NewRecorder()
		srv.createJob(w, req)
		if w.Code != http.StatusCreated {
			t.Fatalf("CreateJob: %d %s", w.Code, w.Body)
		}
		return w.Body.String()
	}
	// A token a second for five minutes: at most a minute's worth is held.
	for i := range 300 {
		create(fmt.Sprintf("upload-%d", i))
		if tokens, issued, _ := held(); tokens > 60 || issued > 60 {
			t.Fatalf("after %d jobs a second apart: %d tokens, %d issued; want at most 60", i+1, tokens, issued)
		}
		advance(time.Second)
	}
	srv.mu.Lock()
	for _, j := range srv.jobs {
		j.wire.Status = "COMPLETE"
	}
	srv.mu.Unlock()
	advance(JobRetention)
	create("")
	if tokens, issued, jobs := held(); tokens != 0 || issued != 0 || jobs != 1 {
		t.Errorf("after the retention: %d tokens, %d issued, %d jobs; want 0, 0 and the last job", tokens, issued, jobs)
	}
}
