package storage

import (
	"bytes"
	"context"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"slices"
)

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
