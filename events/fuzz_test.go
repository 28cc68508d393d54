package events_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
)

// addSeeds adds every sample payload in testdata to f's corpus.
func addSeeds(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{\"Records\":[]}"}]}`))
	f.Add([]byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{\"Type\":\"Notification\"}"}}]}`))
}

// checkKinds fails unless err is nil or wraps one of the decoders' sentinels.
func checkKinds(t *testing.T, err error) {
	if err != nil && !errors.Is(err, events.ErrMalformed) && !errors.Is(err, events.ErrWrongKind) {
		t.Fatalf("error wraps no sentinel: %v", err)
	}
}

// FuzzDecodeObjectEvents checks the decoder never panics, and that what it
// decodes re-encodes to a fixed point: encode(decode(encode(o))) equals
// encode(o).
func FuzzDecodeObjectEvents(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		objs, err := events.DecodeObjectEvents(payload)
		checkKinds(t, err)
		for _, o := range objs {
			for _, encode := range []func(events.ObjectEvent) (events.Event, error){events.NewObjectEvent, events.NewObjectEventBridgeEvent} {
				e1, err := encode(o)
				if err != nil {
					if !errors.Is(err, events.ErrInvalid) {
						t.Fatalf("encode error wraps no sentinel: %v", err)
					}
					continue
				}
				back, err := events.DecodeObjectEvents(e1.Payload)
				if err != nil || len(back) != 1 {
					t.Fatalf("decoding our own payload %s: %v (%d events)", e1.Payload, err, len(back))
				}
				e2, err := encode(back[0])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(e1.Payload, e2.Payload) {
					t.Fatalf("not a fixed point:\n%s\n%s", e1.Payload, e2.Payload)
				}
			}
		}
	})
}

func FuzzDecodeJobStateChange(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		j, err := events.DecodeJobStateChange(payload)
		checkKinds(t, err)
		if err != nil {
			return
		}
		e1, err := events.NewJobStateChange(j)
		if err != nil {
			t.Fatalf("re-encoding a decoded job state change: %v", err)
		}
		j2, err := events.DecodeJobStateChange(e1.Payload)
		if err != nil {
			t.Fatalf("decoding our own payload %s: %v", e1.Payload, err)
		}
		e2, err := events.NewJobStateChange(j2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(e1.Payload), string(e2.Payload)); diff != "" {
			t.Fatalf("not a fixed point (-first +second):\n%s", diff)
		}
	})
}

func FuzzDecodeItemChanges(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		changes, err := events.DecodeItemChanges(payload)
		checkKinds(t, err)
		for _, c := range changes {
			e, err := events.NewItemChange(c)
			if err != nil {
				if !errors.Is(err, events.ErrInvalid) {
					t.Fatalf("encode error wraps no sentinel: %v", err)
				}
				continue
			}
			back, err := events.DecodeItemChanges(e.Payload)
			if err != nil || len(back) != 1 || back[0].Name != c.Name || back[0].EventID != e.ID || (c.EventID != "" && e.ID != c.EventID) {
				t.Fatalf("decoding our own payload %s: %v", e.Payload, err)
			}
		}
	})
}

func FuzzDecodeCustom(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := events.DecodeCustom(payload)
		checkKinds(t, err)
		if err != nil {
			return
		}
		e, err := events.NewCustom(c)
		if err != nil {
			if !errors.Is(err, events.ErrInvalid) {
				t.Fatalf("encode error wraps no sentinel: %v", err)
			}
			return
		}
		back, err := events.DecodeCustom(e.Payload)
		if err != nil || back.Source != c.Source || back.DetailType != c.DetailType || back.ID != e.ID || (c.ID != "" && e.ID != c.ID) {
			t.Fatalf("decoding our own payload %s: %+v, %v", e.Payload, back, err)
		}
	})
}

func FuzzObjectKey(f *testing.F) {
	for _, s := range []string{"red flower.jpg", "a/b=c:d", "café+", "100%", "", "\xff\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		enc := events.EncodeObjectKey(key)
		dec, err := events.DecodeObjectKey(enc)
		if err != nil || dec != key {
			t.Fatalf("DecodeObjectKey(EncodeObjectKey(%q)) = %q, %v", key, dec, err)
		}
		if _, err := events.DecodeObjectKey(key); err != nil && !errors.Is(err, events.ErrMalformed) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
	})
}
