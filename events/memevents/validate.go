package memevents

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/servous/servous/events"
)

// maxEntrySize is the largest PutEvents entry EventBridge accepts.
const maxEntrySize = 256 * 1024

// validate refuses, wrapping events.ErrInvalid, what AWS would not deliver:
// an event without Source, Type or Payload, a payload that is not one JSON
// object, and an EventBridge event whose detail is not a JSON object or
// whose PutEvents entry would exceed EventBridge's 256 KB.
func validate(e events.Event) error {
	switch {
	case e.Source == "" || e.Type == "" || len(e.Payload) == 0:
		return fmt.Errorf("%w: event needs Source, Type and Payload", events.ErrInvalid)
	case !isJSONObject(e.Payload):
		return fmt.Errorf("%w: payload of %s %q is not a JSON object", events.ErrInvalid, e.Source, e.Type)
	}
	// Only EventBridge events name a detail-type; S3 and DynamoDB deliver
	// other shapes, and need no decoding here.
	if !bytes.Contains(e.Payload, []byte(`"detail-type"`)) {
		return nil
	}
	c, err := events.DecodeCustom(e.Payload)
	switch {
	case errors.Is(err, events.ErrMalformed):
		return fmt.Errorf("%w: %s %q: %w", events.ErrInvalid, e.Source, e.Type, err)
	case err != nil:
		return nil
	}
	if n := entrySize(c); n > maxEntrySize {
		return fmt.Errorf("%w: %s %q: PutEvents entry of %d bytes exceeds EventBridge's %d", events.ErrInvalid, c.Source, c.DetailType, n, maxEntrySize)
	}
	return nil
}

// entrySize counts an entry as EventBridge does: 14 bytes for the time
// stamp, plus the UTF-8 bytes of the source, detail-type, detail and each
// resource.
func entrySize(c events.Custom) int {
	n := len(c.Source) + len(c.DetailType) + len(c.Detail)
	if !c.Time.IsZero() {
		n += 14
	}
	for _, r := range c.Resources {
		n += len(r)
	}
	return n
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && validJSON(b)
}
