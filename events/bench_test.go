package events_test

import (
	"encoding/json"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/events"
)

// BenchmarkDecodeS3Notification compares DecodeObjectEvents with plain
// encoding/json into aws-lambda-go's S3Event, on the same payload.
func BenchmarkDecodeS3Notification(b *testing.B) {
	payload := readFixture(b, "s3-object-created-copy-encoded-key.json")
	b.Run("servous", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := events.DecodeObjectEvents(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-S3Event", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var e lambdaevents.S3Event
			if err := json.Unmarshal(payload, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEncodeS3Notification compares NewObjectEvent with plain
// encoding/json of aws-lambda-go's S3Event (which cannot reproduce S3's
// time format or optional fields, but bounds the cost).
func BenchmarkEncodeS3Notification(b *testing.B) {
	payload := readFixture(b, "s3-object-created-copy-encoded-key.json")
	objs, err := events.DecodeObjectEvents(payload)
	if err != nil {
		b.Fatal(err)
	}
	var s3 lambdaevents.S3Event
	if err := json.Unmarshal(payload, &s3); err != nil {
		b.Fatal(err)
	}
	b.Run("servous", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := events.NewObjectEvent(objs[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-S3Event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&s3); err != nil {
				b.Fatal(err)
			}
		}
	})
}
