package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
)

// WithDefaults returns a copy of o (nil meaning all defaults) with the defaults filled in, or an
// error wrapping ErrInvalidArgument if a value is out of range. Adapters call it.
func (o *SignOptions) WithDefaults() (SignOptions, error) {
	var s SignOptions
	if o != nil {
		s = *o
	}
	switch s.Method {
	case "":
		s.Method = http.MethodGet
	case http.MethodGet, http.MethodPut:
	default:
		return s, fmt.Errorf("%w: sign method %q, want GET or PUT", ErrInvalidArgument, s.Method)
	}
	if s.Method == http.MethodGet && s.ContentType != "" {
		return s, fmt.Errorf("%w: content type on a signed GET", ErrInvalidArgument)
	}
	var err error
	s.Expiry, err = ValidateExpiry(s.Expiry)
	return s, err
}

// WithDefaults returns a copy of o (nil meaning all defaults) with the defaults filled in, or an
// error wrapping ErrInvalidArgument if a value is out of range. Adapters call it.
func (o *FormOptions) WithDefaults() (FormOptions, error) {
	var f FormOptions
	if o != nil {
		f = *o
	}
	switch {
	case f.MaxSize == 0:
		f.MaxSize = DefaultMaxFormSize
	case f.MaxSize < 0:
		return f, fmt.Errorf("%w: max size %d", ErrInvalidArgument, f.MaxSize)
	}
	if f.ContentType != "" && f.ContentTypePrefix != "" {
		return f, fmt.Errorf("%w: both ContentType and ContentTypePrefix", ErrInvalidArgument)
	}
	var err error
	f.Expiry, err = ValidateExpiry(f.Expiry)
	return f, err
}

// NewRequest returns a POST of the form with body as the file, for Go clients and tests; a
// browser builds the same request from an HTML form. size is the file's length, or -1 if unknown
// (the request is then sent chunked, which S3 refuses). contentType, when not empty, is sent as
// the form's Content-Type field (needed when the form was made with a ContentTypePrefix).
func (f *UploadForm) NewRequest(ctx context.Context, body io.Reader, size int64, contentType string) (*http.Request, error) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	fields := maps.Clone(f.Fields)
	if fields == nil {
		fields = map[string]string{}
	}
	if contentType != "" {
		fields["Content-Type"] = contentType
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := mw.WriteField(k, fields[k]); err != nil {
			return nil, err
		}
	}
	if _, err := mw.CreateFormFile("file", "upload"); err != nil {
		return nil, err
	}
	// The multipart writer writes the closing boundary on Close; take it apart from the head so
	// the file streams between them.
	headLen := head.Len()
	if err := mw.Close(); err != nil {
		return nil, err
	}
	tail := bytes.Clone(head.Bytes()[headLen:])
	head.Truncate(headLen)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL,
		io.MultiReader(bytes.NewReader(head.Bytes()), body, bytes.NewReader(tail)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if size >= 0 {
		req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	} else {
		req.ContentLength = -1
	}
	return req, nil
}

// lowerKeys returns m with its keys in lower case.
func lowerKeys(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// NormalizeMetadata returns a copy of m with lower-case keys, as S3 stores user metadata; nil if
// m is empty. Adapters call it.
func NormalizeMetadata(m map[string]string) map[string]string { return lowerKeys(m) }
