package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/events"
)

func TestS3NotificationsRoundTripByteForByte(t *testing.T) {
	tests := []struct {
		file string
		name string
		key  string
	}{
		{"s3-object-created-put.json", events.ObjectCreatedPut, "test/key"},
		{"s3-object-removed-delete.json", events.ObjectRemovedDeleteMarkerCreated, "videos/red flower (2).mp4"},
		{"s3-object-created-copy-encoded-key.json", events.ObjectCreatedCopy, "users/u-1/dt=2026-11-27/café a+b&c.mp4"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fixture := readFixture(t, tt.file)
			objs, err := events.DecodeObjectEvents(fixture)
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 1 || objs[0].Name != tt.name || objs[0].Key != tt.key {
				t.Fatalf("decoded %+v, want %s of %q", objs, tt.name, tt.key)
			}
			e, err := events.NewObjectEvent(objs[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := compact(t, fixture); !bytes.Equal(want, e.Payload) {
				t.Fatalf("encoded\n got %s\nwant %s", e.Payload, want)
			}
			// Without the wire form, the key is encoded as S3 encodes it.
			o := objs[0]
			o.EncodedKey = ""
			e2, err := events.NewObjectEvent(o)
			if err != nil {
				t.Fatal(err)
			}
			if tt.file != "s3-object-created-put.json" && !bytes.Equal(e.Payload, e2.Payload) {
				t.Fatalf("re-encoded key differs from S3's:\n got %s\nwant %s", e2.Payload, e.Payload)
			}
			// aws-lambda-go decodes our payload to the same record.
			var want, got lambdaevents.S3Event
			if err := json.Unmarshal(fixture, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(e2.Payload, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(lambdaevents.S3Object{}, "Key")); diff != "" {
				t.Fatalf("aws-lambda-go decodes differently (-fixture +encoded):\n%s", diff)
			}
		})
	}
}

func TestEncodeObjectKey(t *testing.T) {
	tests := []struct{ key, encoded string }{
		{"plain.txt", "plain.txt"},
		{"red flower.jpg", "red+flower.jpg"},
		{"a/b/c.mp4", "a/b/c.mp4"},
		{"dt=2026-01-01/part-0.parquet", "dt%3D2026-01-01/part-0.parquet"},
		{"10:47:07.log", "10%3A47%3A07.log"},
		{"c++ (1) copy.tar.gz", "c%2B%2B+%281%29+copy.tar.gz"},
		{"café/ü*_~", "caf%C3%A9/%C3%BC*_%7E"},
		{"100%", "100%25"},
	}
	for _, tt := range tests {
		if got := events.EncodeObjectKey(tt.key); got != tt.encoded {
			t.Errorf("EncodeObjectKey(%q) = %q, want %q", tt.key, got, tt.encoded)
		}
		if got, err := events.DecodeObjectKey(tt.encoded); err != nil || got != tt.key {
			t.Errorf("DecodeObjectKey(%q) = %q, %v, want %q", tt.encoded, got, err, tt.key)
		}
	}
	if _, err := events.DecodeObjectKey("bad%zz"); !errors.Is(err, events.ErrMalformed) {
		t.Errorf("DecodeObjectKey(bad escape) = %v, want ErrMalformed", err)
	}
}

func TestEventBridgeObjectEventsRoundTripByteForByte(t *testing.T) {
	tests := []struct {
		file, name string
	}{
		{"eventbridge-s3-object-created.json", events.ObjectCreatedPut},
		{"eventbridge-s3-object-deleted.json", events.ObjectRemovedDeleteMarkerCreated},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fixture := readFixture(t, tt.file)
			objs, err := events.DecodeObjectEvents(fixture)
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != 1 || objs[0].Name != tt.name || objs[0].Key != "example-key" || objs[0].Account != "111122223333" {
				t.Fatalf("decoded %+v", objs)
			}
			e, err := events.NewObjectEventBridgeEvent(objs[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := compact(t, fixture); !bytes.Equal(want, e.Payload) {
				t.Fatalf("encoded\n got %s\nwant %s", e.Payload, want)
			}
			if e.Type != map[bool]string{true: "Object Created", false: "Object Deleted"}[objs[0].Created()] || e.Bucket != "amzn-s3-demo-bucket1" || e.Key != "example-key" {
				t.Fatalf("header = %+v", e)
			}
		})
	}
}

// TestAllFormsDecodeAlike delivers one object event directly, through SQS,
// through SNS, through SNS then SQS, and through EventBridge (directly and
// via SQS), and checks every form decodes to the same value.
func TestAllFormsDecodeAlike(t *testing.T) {
	o := events.ObjectEvent{
		Name: events.ObjectCreatedCompleteMultipartUpload, Bucket: "uploads", Key: "in/my video (1).mp4",
		Size: 64 << 20, ETag: "9b2cf535f27731c974343645a3985328-8", VersionID: "v1", Sequencer: "0055AED6DCD90281E5",
		Time: time.Date(2026, 11, 27, 10, 11, 12, 0, time.UTC), Region: "eu-west-1",
		Principal: "111122223333", SourceIP: "198.51.100.1", RequestID: "C3D13FE58DE4C810", Account: "111122223333",
	}
	direct, err := events.NewObjectEvent(o)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := events.NewObjectEventBridgeEvent(o)
	if err != nil {
		t.Fatal(err)
	}
	sqs := func(bodies ...[]byte) []byte {
		var ev lambdaevents.SQSEvent
		for i, b := range bodies {
			ev.Records = append(ev.Records, lambdaevents.SQSMessage{MessageId: string(rune('a' + i)), Body: string(b), EventSource: "aws:sqs", AWSRegion: "eu-west-1"})
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	snsEnvelope, err := json.Marshal(lambdaevents.SNSEntity{Type: "Notification", MessageID: "m-1", TopicArn: "arn:aws:sns:eu-west-1:111122223333:uploads", Message: string(direct.Payload)})
	if err != nil {
		t.Fatal(err)
	}
	sns, err := json.Marshal(lambdaevents.SNSEvent{Records: []lambdaevents.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0", SNS: lambdaevents.SNSEntity{Type: "Notification", Message: string(direct.Payload)}}}})
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string][]byte{
		"S3":              direct.Payload,
		"SQS":             sqs(direct.Payload),
		"SNS":             sns,
		"SNS in SQS":      sqs(snsEnvelope),
		"EventBridge":     eb.Payload,
		"EventBridge SQS": sqs(eb.Payload),
	}
	// Fields only one form carries.
	ignore := cmpopts.IgnoreFields(events.ObjectEvent{}, "EventVersion", "HostID", "Owner", "ConfigurationID", "Account", "EventID")
	for name, payload := range forms {
		t.Run(name, func(t *testing.T) {
			got, err := events.DecodeObjectEvents(payload)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d events, want 1", len(got))
			}
			want := o
			want.EncodedKey = "in/my+video+%281%29.mp4"
			if diff := cmp.Diff(want, got[0], ignore); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTestEventDecodesToNothing(t *testing.T) {
	test := readFixture(t, "s3-test-event.json")
	body, _ := json.Marshal(string(test))
	inSQS := []byte(`{"Records":[{"messageId":"1","eventSource":"aws:sqs","body":` + string(body) + `},` +
		`{"messageId":"2","eventSource":"aws:sqs","body":` + mustQuote(t, readFixture(t, "s3-object-created-put.json")) + `}]}`)
	for name, payload := range map[string][]byte{"direct": test, "SQS batch": inSQS} {
		got, err := events.DecodeObjectEvents(payload)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := 0
		if name == "SQS batch" {
			want = 1
		}
		if len(got) != want {
			t.Fatalf("%s: %d events, want %d", name, len(got), want)
		}
	}
}

func mustQuote(t *testing.T, b []byte) string {
	t.Helper()
	q, err := json.Marshal(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return string(q)
}

func TestJobStateChangeSamples(t *testing.T) {
	for _, name := range []string{"mediaconvert-job-status-update.json", "mediaconvert-job-progressing.json", "mediaconvert-job-complete-hls.json"} {
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
			if e.Source != events.SourceMediaConvert || e.Type != events.DetailTypeJobStateChange || e.ID != j.ID {
				t.Fatalf("header = %+v", e)
			}
		})
	}
	j, err := events.DecodeJobStateChange(readFixture(t, "mediaconvert-job-status-update.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantProgress := &events.JobProgress{Percent: 7, CurrentPhase: "TRANSCODING", Phases: map[string]events.PhaseProgress{
		"PROBING": {"COMPLETE", 100}, "TRANSCODING": {"PROGRESSING", 2}, "UPLOADING": {"PENDING", 0},
	}}
	if diff := cmp.Diff(wantProgress, j.Progress); diff != "" || j.FramesDecoded != 353 || j.Status != events.JobStatusUpdate {
		t.Fatalf("progress (-want +got):\n%s (frames %d, status %s)", diff, j.FramesDecoded, j.Status)
	}
	j, err = events.DecodeJobStateChange(readFixture(t, "mediaconvert-job-complete-hls.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := []events.OutputGroupDetail{{
		Type:              "HLS_GROUP",
		PlaylistFilePaths: []string{"s3://amzn-s3-demo-bucket/file/file.m3u8"},
		Outputs: []events.OutputDetail{
			{FilePaths: []string{"s3://amzn-s3-demo-bucket/file/file_720p.m3u8"}, DurationMs: 30041, Width: 1280, Height: 720, AverageBitrate: 2500000},
			{FilePaths: []string{"s3://amzn-s3-demo-bucket/file/file_audio.m3u8"}, DurationMs: 30041},
		},
	}}
	if diff := cmp.Diff(wantGroups, j.OutputGroups); diff != "" {
		t.Fatalf("output groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]events.JobWarning{{Code: 230005, Count: 1}}, j.Warnings); diff != "" {
		t.Fatalf("warnings (-want +got):\n%s", diff)
	}
}

func TestNewJobStateChangeDefaults(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 456e6, time.UTC)
	e, err := events.NewJobStateChange(events.JobStateChange{
		Envelope:  events.Envelope{Account: "111122223333", Region: "eu-west-1"},
		Timestamp: at, Status: events.JobError, JobID: "j-1", ErrorCode: 1010, ErrorMessage: "bad input",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got lambdaevents.EventBridgeEvent
	if err := json.Unmarshal(e.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != "0" || got.ID == "" || !got.Time.Equal(at.Truncate(time.Second)) ||
		!cmp.Equal(got.Resources, []string{"arn:aws:mediaconvert:eu-west-1:111122223333:jobs/j-1"}) {
		t.Fatalf("envelope = %+v", got)
	}
	want := `{"status":"ERROR","jobId":"j-1","queue":"","accountId":"111122223333","timestamp":` + strconv.FormatInt(at.UnixMilli(), 10) +
		`,"userMetadata":{},"errorCode":1010,"errorMessage":"bad input"}`
	if string(got.Detail) != want {
		t.Fatalf("detail\n got %s\nwant %s", got.Detail, want)
	}
}

func TestItemChangesRoundTrip(t *testing.T) {
	fixture := readFixture(t, "dynamodb-stream.json")
	changes, err := events.DecodeItemChanges(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 || changes[0].Name != events.ItemInserted || changes[1].Name != events.ItemModified || changes[2].Name != events.ItemRemoved {
		t.Fatalf("decoded %d changes: %+v", len(changes), changes)
	}
	if changes[2].UserIdentity == nil || changes[2].UserIdentity.PrincipalID != "dynamodb.amazonaws.com" {
		t.Fatalf("TTL removal lost its user identity: %+v", changes[2].UserIdentity)
	}
	var records struct{ Records []json.RawMessage }
	if err := json.Unmarshal(fixture, &records); err != nil {
		t.Fatal(err)
	}
	for i, c := range changes {
		e, err := events.NewItemChange(c)
		if err != nil {
			t.Fatal(err)
		}
		var one struct{ Records []json.RawMessage }
		if err := json.Unmarshal(e.Payload, &one); err != nil || len(one.Records) != 1 {
			t.Fatalf("payload %s: %v", e.Payload, err)
		}
		if diff := sameJSON(t, records.Records[i], one.Records[0]); diff != "" {
			t.Fatalf("record %d re-encoded (-fixture +got):\n%s", i, diff)
		}
		if e.Source != events.SourceDynamoDB || e.Type != c.Name || e.ID != c.EventID {
			t.Fatalf("header = %+v", e)
		}
	}
}

func TestNewItemChangeFromMapForm(t *testing.T) {
	keys, err := events.AttributeValuesOf(map[string]any{"pk": "video#1", "sk": 2})
	if err != nil {
		t.Fatal(err)
	}
	img, err := events.AttributeValuesOf(map[string]any{
		"pk": "video#1", "sk": 2, "title": "Clip", "ready": true, "size": 1.5, "tags": []string{"a"},
		"meta": map[string]any{"w": uint16(1280)}, "thumb": []byte{1, 2}, "gone": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.NewItemChange(events.ItemChange{
		Name: events.ItemInserted, Keys: keys, NewImage: img, StreamViewType: events.StreamNewImage,
		SourceARN: events.StreamARN("us-east-1", "111122223333", "videos", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		Time:      time.Unix(1764205323, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Records":[{"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1764205323,` +
		`"Keys":{"pk":{"S":"video#1"},"sk":{"N":"2"}},` +
		`"NewImage":{"gone":{"NULL":true},"meta":{"M":{"w":{"N":"1280"}}},"pk":{"S":"video#1"},"ready":{"BOOL":true},"size":{"N":"1.5"},"sk":{"N":"2"},"tags":{"L":[{"S":"a"}]},"thumb":{"B":"AQI="},"title":{"S":"Clip"}},`
	if !strings.HasPrefix(string(e.Payload), want) {
		t.Fatalf("payload\n got %s\nwant prefix %s", e.Payload, want)
	}
	back, err := events.DecodeItemChanges(e.Payload)
	if err != nil || len(back) != 1 {
		t.Fatalf("decode: %v", err)
	}
	if !strings.HasSuffix(back[0].SourceARN, ":table/videos/stream/2026-01-01T00:00:00.000") || back[0].SequenceNumber == "" || back[0].SizeBytes == 0 || back[0].EventID == "" {
		t.Fatalf("defaults not filled: %+v", back[0])
	}
	if _, err := events.AttributeValueOf(struct{}{}); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("AttributeValueOf(struct) = %v", err)
	}
}

func TestCustomRoundTripsByteForByte(t *testing.T) {
	fixture := readFixture(t, "eventbridge-custom.json")
	c, err := events.DecodeCustom(fixture)
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.NewCustom(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := compact(t, fixture); !bytes.Equal(want, e.Payload) {
		t.Fatalf("encoded\n got %s\nwant %s", e.Payload, want)
	}
	if e.Source != "com.example.petu" || e.Type != "Video Published" || e.ID != "6a7e8feb-b491-4cf7-a9f1-bf3703467718" {
		t.Fatalf("header = %+v", e)
	}
}

func TestEncodersRejectInvalidValues(t *testing.T) {
	tests := []struct {
		name string
		call func() error
	}{
		{"object without bucket", func() error {
			_, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Key: "k"})
			return err
		}},
		{"object without key", func() error {
			_, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Bucket: "b"})
			return err
		}},
		{"object bad name", func() error {
			_, err := events.NewObjectEvent(events.ObjectEvent{Name: "Put", Bucket: "b", Key: "k"})
			return err
		}},
		{"object negative size", func() error {
			_, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Bucket: "b", Key: "k", Size: -1})
			return err
		}},
		{"eventbridge restore", func() error {
			_, err := events.NewObjectEventBridgeEvent(events.ObjectEvent{Name: "ObjectCreated:Other", Bucket: "b", Key: "k"})
			return err
		}},
		{"custom aws source", func() error { _, err := events.NewCustom(events.Custom{Source: "aws.s3", DetailType: "x"}); return err }},
		{"custom no detail-type", func() error { _, err := events.NewCustom(events.Custom{Source: "a"}); return err }},
		{"custom array detail", func() error {
			_, err := events.NewCustom(events.Custom{Source: "a", DetailType: "x", Detail: json.RawMessage(`[1]`)})
			return err
		}},
		{"job without id", func() error {
			_, err := events.NewJobStateChange(events.JobStateChange{Status: events.JobComplete})
			return err
		}},
		{"item bad name", func() error { _, err := events.NewItemChange(events.ItemChange{Name: "PUT"}); return err }},
		{"item no keys", func() error {
			_, err := events.NewItemChange(events.ItemChange{Name: events.ItemInserted, SourceARN: "arn"})
			return err
		}},
		{"item no ARN", func() error {
			_, err := events.NewItemChange(events.ItemChange{Name: events.ItemInserted, Keys: map[string]lambdaevents.DynamoDBAttributeValue{"k": lambdaevents.NewStringAttribute("v")}})
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
		}
	}
}

func TestNewObjectEventDefaults(t *testing.T) {
	var prev string
	for i := range 3 {
		e, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectRemovedDelete, Bucket: "b", Key: "k", Size: 9, ETag: "x"})
		if err != nil {
			t.Fatal(err)
		}
		objs, err := events.DecodeObjectEvents(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		o := objs[0]
		if o.Region != "us-east-1" || o.EventVersion != "2.1" || len(o.RequestID) != 16 || o.Time.IsZero() || o.Size != 0 || o.ETag != "" {
			t.Fatalf("defaults: %+v (removals carry no size or ETag)", o)
		}
		if i > 0 && events.CompareSequencers(prev, o.Sequencer) >= 0 {
			t.Fatalf("sequencer %s not after %s", o.Sequencer, prev)
		}
		prev = o.Sequencer
		if !bytes.Contains(e.Payload, []byte(`"eventTime":"`+o.Time.Format("2006-01-02T15:04:05.000Z")+`"`)) {
			t.Fatalf("eventTime not in millisecond form: %s", e.Payload)
		}
	}
}

func TestCompareSequencers(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0055AED6DCD90281E5", "0055AED6DCD90281E5", 0},
		{"0055AED6DCD90281E5", "0055AED6DCD90281E6", -1},
		{"617f08299329d189", "617F0837B476E463", -1},
		{"FF", "0100", -1},
		{"0100", "ff", 1},
		{"00FF", "FF", 0},
	}
	for _, tt := range tests {
		if got := events.CompareSequencers(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareSequencers(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestEventBridgeKeysAreNotEncoded(t *testing.T) {
	e, err := events.NewObjectEventBridgeEvent(events.ObjectEvent{Name: events.ObjectCreatedPost, Bucket: "b", Key: "a+b c:d.txt", Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(e.Payload, []byte(`"key":"a+b c:d.txt"`)) || !bytes.Contains(e.Payload, []byte(`"reason":"POST Object"`)) {
		t.Fatalf("payload = %s", e.Payload)
	}
	objs, err := events.DecodeObjectEvents(e.Payload)
	if err != nil || len(objs) != 1 || objs[0].Key != "a+b c:d.txt" || objs[0].Name != events.ObjectCreatedPost {
		t.Fatalf("decoded %+v, %v", objs, err)
	}
}

func TestDecodeObjectEventsRejectsOtherMessages(t *testing.T) {
	for name, payload := range map[string]string{
		"SQS body of another kind": `{"Records":[{"eventSource":"aws:sqs","body":"{\"orderId\":1}"}]}`,
		"SQS body not JSON":        `{"Records":[{"eventSource":"aws:sqs","body":"hello"}]}`,
		"custom EventBridge event": `{"version":"0","id":"1","detail-type":"Order Placed","source":"com.example","detail":{}}`,
		"Kinesis record":           `{"Records":[{"eventSource":"aws:kinesis"}]}`,
		"JSON array":               `[1,2]`,
	} {
		_, err := events.DecodeObjectEvents([]byte(payload))
		if !errors.Is(err, events.ErrWrongKind) && !errors.Is(err, events.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrWrongKind or ErrMalformed", name, err)
		}
	}
}

func TestDecodeObjectEventsIgnoresOtherBodiesFields(t *testing.T) {
	// A message body of another kind whose "time" is not RFC 3339 is of the
	// wrong kind, not malformed.
	_, err := events.DecodeObjectEvents([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{\"time\":12,\"Message\":3}"}]}`))
	if !errors.Is(err, events.ErrWrongKind) {
		t.Fatalf("err = %v, want ErrWrongKind", err)
	}
}
