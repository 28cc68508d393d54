package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// PutBytes writes data as the object at key.
func PutBytes(ctx context.Context, b Bucket, key string, data []byte, opts *PutOptions) (*ObjectInfo, error) {
	return b.Put(ctx, key, bytes.NewReader(data), opts)
}

// GetBytes reads the whole object at key.
func GetBytes(ctx context.Context, b Bucket, key string) ([]byte, error) {
	obj, err := b.Get(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	buf := make([]byte, 0, obj.Length)
	w := bytes.NewBuffer(buf)
	if _, err := io.Copy(w, obj.Body); err != nil {
		return nil, fmt.Errorf("storage: read %q: %w", key, err)
	}
	return w.Bytes(), nil
}

// Exists reports whether an object has the key.
func Exists(ctx context.Context, b Bucket, key string) (bool, error) {
	_, err := b.Head(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}

// Pages iterates over every page of a listing, starting at opts.PageToken. It stops at the first
// error, which it yields.
func Pages(ctx context.Context, b Bucket, opts *ListOptions) iter.Seq2[*ListPage, error] {
	return func(yield func(*ListPage, error) bool) {
		o := ListOptions{}
		if opts != nil {
			o = *opts
		}
		for {
			page, err := b.List(ctx, &o)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || page.NextPageToken == "" {
				return
			}
			o.PageToken = page.NextPageToken
		}
	}
}

// Objects iterates over every object of a listing, in key order, across pages. Common prefixes
// (with a delimiter) are skipped: use Pages to see them. It stops at the first error, which it
// yields.
func Objects(ctx context.Context, b Bucket, opts *ListOptions) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		for page, err := range Pages(ctx, b, opts) {
			if err != nil {
				yield(ObjectInfo{}, err)
				return
			}
			for _, o := range page.Objects {
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

// ETagsEqual reports whether two ETags are the same, quoted or not.
func ETagsEqual(a, b string) bool {
	return strings.Trim(a, `"`) == strings.Trim(b, `"`)
}
