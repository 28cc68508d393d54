package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/events"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compact(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %s: %v", b, err)
	}
	return buf.Bytes()
}

// sameJSON reports the difference between two JSON documents, ignoring
// layout and member order.
func sameJSON(t testing.TB, want, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	return cmp.Diff(w, g)
}

func TestS3FixtureRoundTripsByteForByte(t *testing.T) {
	fixture := readFixture(t, "s3-object-created-put.json")
	got, err := events.DecodeObjectEvents(fixture)
	if err != nil {
		t.Fatal(err)
	}
	want := []events.ObjectEvent{{
		Name:            events.ObjectCreatedPut,
		Bucket:          "example-bucket",
		Key:             "test/key",
		EncodedKey:      "test%2Fkey",
		Size:            1024,
		ETag:            "0123456789abcdef0123456789abcdef",
		Sequencer:       "0A1B2C3D4E5F678901",
		Time:            time.Unix(0, 0).UTC(),
		Region:          "us-east-1",
		Principal:       "EXAMPLE",
		SourceIP:        "127.0.0.1",
		RequestID:       "EXAMPLE123456789",
		HostID:          "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
		Owner:           "EXAMPLE",
		ConfigurationID: "testConfigRule",
		EventVersion:    "2.0",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decoded (-want +got):\n%s", diff)
	}
	e, err := events.NewObjectEvent(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if w := compact(t, fixture); !bytes.Equal(w, e.Payload) {
		t.Fatalf("encoded\n got %s\nwant %s", e.Payload, w)
	}
	if e.Source != events.SourceS3 || e.Type != events.ObjectCreatedPut || e.Bucket != "example-bucket" || e.Key != "test/key" {
		t.Fatalf("header = %+v", e)
	}
}

func TestJobStateChangeFixturesRoundTrip(t *testing.T) {
	for _, name := range []string{"mediaconvert-job-complete.json", "mediaconvert-job-error.json"} {
		t.Run(name, func(t *testing.T) {
			fixture := readFixture(t, name)
			j, err := events.DecodeJobStateChange(fixture)
			if err != nil {
				t.Fatal(err)
			}
			e, err := events.NewJobStateChange(j)
			if err != nil {
				t.Fatal(err)
			}
			if diff := sameJSON(t, fixture, e.Payload); diff != "" {
				t.Fatalf("re-encoded (-fixture +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJobStateChangeComplete(t *testing.T) {
	j, err := events.DecodeJobStateChange(readFixture(t, "mediaconvert-job-complete.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := events.JobStateChange{
		Envelope: events.Envelope{
			ID:        "1234abcd-12ab-34cd-56ef-1234567890ab",
			Account:   "111122223333",
			Region:    "us-west-2",
			Time:      time.Date(2018, 9, 14, 21, 54, 31, 0, time.UTC),
			Resources: []string{"arn:aws:mediaconvert:us-west-2:111122223333:jobs/1536964333549-opn151"},
		},
		Timestamp:    time.UnixMilli(1536964380391).UTC(),
		Status:       events.JobComplete,
		JobID:        "1536964333549-opn151",
		Queue:        "arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
		UserMetadata: map[string]string{},
		OutputGroups: []events.OutputGroupDetail{{
			Type: "FILE_GROUP",
			Outputs: []events.OutputDetail{{
				FilePaths:      []string{"s3://amzn-s3-demo-bucket/file/file.mp4"},
				DurationMs:     180041,
				Width:          1280,
				Height:         720,
				AverageBitrate: 200000,
			}},
		}},
	}
	if diff := cmp.Diff(want, j); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	s3 := readFixture(t, "s3-object-created-put.json")
	job := readFixture(t, "mediaconvert-job-error.json")
	tests := []struct {
		name string
		err  error
		call func() error
	}{
		{"object from garbage", events.ErrMalformed, func() error { _, err := events.DecodeObjectEvents([]byte("{")); return err }},
		{"object from job", events.ErrWrongKind, func() error { _, err := events.DecodeObjectEvents(job); return err }},
		{"job from object", events.ErrWrongKind, func() error { _, err := events.DecodeJobStateChange(s3); return err }},
		{"items from object", events.ErrWrongKind, func() error { _, err := events.DecodeItemChanges(s3); return err }},
		{"custom from object", events.ErrWrongKind, func() error { _, err := events.DecodeCustom(s3); return err }},
		{"bad key escape", events.ErrMalformed, func() error {
			_, err := events.DecodeObjectEvents(bytes.Replace(s3, []byte("test%2Fkey"), []byte("test%zzkey"), 1))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}
