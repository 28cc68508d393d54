package memevents

import (
	"fmt"
	"strings"

	"github.com/servous/servous/events"
)

// Filter selects the events a subscription receives. Every non-empty field
// must match; the zero Filter matches every event.
type Filter struct {
	// Source matches Event.Source exactly, such as events.SourceS3.
	Source string
	// Types lists accepted Event.Type values. A trailing "*" matches any
	// suffix, as S3 notification configurations write "s3:ObjectCreated:*";
	// the "s3:" prefix is optional.
	Types []string
	// Bucket, Prefix and Suffix match object events as S3 notification
	// filter rules do: the bucket exactly, the decoded key by prefix and
	// suffix.
	Bucket string
	Prefix string
	Suffix string
	// Detail is an EventBridge event pattern for the payload's detail, such as
	// {"status": ["COMPLETE", "ERROR"]}. Supported: nested objects, arrays of
	// strings, numbers, booleans and null, and the operators prefix, suffix,
	// equals-ignore-case, exists, anything-but and numeric. Events without an
	// EventBridge detail do not match a Detail pattern.
	Detail string
}

type compiledFilter struct {
	source string
	exact  []string
	prefix []string
	any    bool
	bucket string
	keyPre string
	keySuf string
	detail *pattern
}

func (f Filter) compile() (*compiledFilter, error) {
	c := &compiledFilter{source: f.Source, bucket: f.Bucket, keyPre: f.Prefix, keySuf: f.Suffix}
	for _, t := range f.Types {
		t = strings.TrimPrefix(t, "s3:")
		switch {
		case t == "":
			return nil, fmt.Errorf("%w: empty event type", ErrInvalidFilter)
		case t == "*":
			c.any = true
		case strings.HasSuffix(t, "*"):
			c.prefix = append(c.prefix, strings.TrimSuffix(t, "*"))
		default:
			c.exact = append(c.exact, t)
		}
	}
	if len(f.Types) == 0 {
		c.any = true
	}
	if f.Detail != "" {
		p, err := compilePattern(f.Detail)
		if err != nil {
			return nil, fmt.Errorf("%w: detail pattern: %w", ErrInvalidFilter, err)
		}
		c.detail = p
	}
	return c, nil
}

// match reports whether e passes the filter; detail decodes the payload's
// detail at most once per event, for filters that need it.
func (c *compiledFilter) match(e *events.Event, detail func() map[string]any) bool {
	if c.source != "" && c.source != e.Source {
		return false
	}
	if !c.any && !c.matchType(e.Type) {
		return false
	}
	if c.bucket != "" && c.bucket != e.Bucket {
		return false
	}
	if !strings.HasPrefix(e.Key, c.keyPre) || !strings.HasSuffix(e.Key, c.keySuf) {
		return false
	}
	if c.detail != nil {
		d := detail()
		return d != nil && c.detail.match(d)
	}
	return true
}

func (c *compiledFilter) matchType(t string) bool {
	for _, x := range c.exact {
		if x == t {
			return true
		}
	}
	for _, p := range c.prefix {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}
