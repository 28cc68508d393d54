package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/events"
	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/petu"
)

// BenchmarkPipeline measures the in-memory pipeline from upload to ready: b.N uploads from 8
// users at once, each timed from the start of its upload (form request included) to the
// completion event's record update. It reports uploads per second and the p50 and p99 latency,
// with metering what the run would cost on AWS on (the default) and off, in the same run, so
// that the two compare under the same load of the machine; it reports the CPU time per upload
// too, which the machine's other load disturbs less:
//
//	go test -run '^$' -bench Pipeline -benchtime 2000x -count 3 ./petu/cmd/petu
func BenchmarkPipeline(b *testing.B) {
	for _, costs := range []bool{true, false} {
		name := "costs=on"
		if !costs {
			name = "costs=off"
		}
		b.Run(name, func(b *testing.B) { benchmarkPipeline(b, config{NoCosts: !costs}) })
	}
}

func benchmarkPipeline(b *testing.B, cfg config) {
	l, base := startLocal(b, cfg)
	var mu sync.Mutex
	started := map[string]time.Time{}
	var latencies []time.Duration
	done := make(chan struct{}, b.N)
	// A subscription beside on-transcoded sees each job end; by then on-transcoded has run or is
	// running, so the latency is measured to the event, and the record is checked at the end.
	_, err := l.Bus.Subscribe(memevents.Filter{
		Source: events.SourceMediaConvert, Types: []string{events.DetailTypeJobStateChange},
		Detail: `{"status": ["COMPLETE", "ERROR"]}`,
	}, lambda.NewHandler(func(ctx context.Context, payload json.RawMessage) error {
		e, err := events.DecodeJobStateChange(payload)
		if err != nil {
			return err
		}
		mu.Lock()
		latencies = append(latencies, time.Since(started[e.UserMetadata["video"]]))
		mu.Unlock()
		done <- struct{}{}
		return nil
	}), nil)
	if err != nil {
		b.Fatal(err)
	}
	const users = 8
	clients := make([]*client, users)
	for i := range clients {
		clients[i] = signIn(b, l, base, fmt.Sprintf("user-%d", i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	work := make(chan int)
	for u := range users {
		wg.Go(func() {
			for range work {
				t0 := time.Now()
				var up petu.UploadResponse
				if err := clients[u].do(ctx, http.MethodPost, "/api/uploads", petu.UploadRequest{
					FileName: "clip.mp4", ContentType: "video/mp4", Size: int64(len(sample)),
				}, &up); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				started[up.VideoID] = t0
				mu.Unlock()
				if err := postForm(ctx, clients[u], up.Form, "video/mp4", sample); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	for range b.N {
		<-done
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	settle(b, ctx, l)
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "uploads/s")
	if cpu > 0 {
		// The process's CPU time per upload: what the pipeline costs, apart from the machine's load.
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	}
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkListVideos measures GET /api/videos, the first page of 20 with signed URLs, for a
// user with 10,000 videos stored.
//
//	go test -run '^$' -bench ListVideos ./petu/cmd/petu
func BenchmarkListVideos(b *testing.B) {
	l, base := startLocal(b, config{})
	c := signIn(b, l, base, "collector")
	var up petu.UploadResponse
	ctx := context.Background()
	if err := c.do(ctx, http.MethodPost, "/api/uploads", petu.UploadRequest{FileName: "a.mp4", ContentType: "video/mp4", Size: 1}, &up); err != nil {
		b.Fatal(err)
	}
	owner, _, _, err := petu.ParseUploadKey(up.Key)
	if err != nil {
		b.Fatal(err)
	}
	videos := make([]petu.Video, 10000)
	now := time.Now()
	for i := range videos {
		id := fmt.Sprintf("%012x%08x", now.Add(time.Duration(i)*time.Second).UnixMilli(), i)
		videos[i] = petu.Video{
			Owner: owner, ID: id, FileName: "v.mp4", SourceKey: "uploads/" + owner + "/" + id + "/v.mp4",
			Status: petu.StatusReady, CreatedAt: now, UpdatedAt: now, DurationMs: 2000,
			Thumbnail: "videos/" + owner + "/" + id + "/video-thumb.0000000.jpg",
			Renditions: []petu.Rendition{
				{Name: "720p", Key: "videos/" + owner + "/" + id + "/video-720p.mp4", Width: 1280, Height: 720},
				{Name: "480p", Key: "videos/" + owner + "/" + id + "/video-480p.mp4", Width: 854, Height: 480},
			},
		}
	}
	if err := l.Videos.BatchWrite(ctx, videos, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var list petu.VideoList
		if err := c.do(ctx, http.MethodGet, "/api/videos", nil, &list); err != nil {
			b.Fatal(err)
		}
		if len(list.Videos) != petu.DefaultPageSize || list.Next == "" {
			b.Fatalf("%d videos, next %q", len(list.Videos), list.Next)
		}
	}
}
