package memstorage

import (
	"crypto/hmac"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
	"github.com/servous/servous/storage/internal/s3form"
)

// s3Error is an error response in S3's XML shape, so clients and browsers see what S3 sends.
type s3Error struct {
	status  int
	code    string
	message string
}

func errAccessDenied(msg string) *s3Error {
	return &s3Error{http.StatusForbidden, "AccessDenied", msg}
}

func (e *s3Error) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: e.code, Message: e.message})
}

// fromError maps a storage error to S3's response.
func fromError(err error) *s3Error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &s3Error{http.StatusNotFound, "NoSuchKey", "The specified key does not exist."}
	case errors.Is(err, storage.ErrPreconditionFailed):
		return &s3Error{http.StatusPreconditionFailed, "PreconditionFailed", err.Error()}
	case errors.Is(err, storage.ErrInvalidRange):
		return &s3Error{http.StatusRequestedRangeNotSatisfiable, "InvalidRange", err.Error()}
	case errors.Is(err, storage.ErrTooLarge):
		return &s3Error{http.StatusBadRequest, "EntityTooLarge", err.Error()}
	case errors.Is(err, storage.ErrInvalidKey):
		return &s3Error{http.StatusBadRequest, "KeyTooLongError", err.Error()}
	case errors.Is(err, storage.ErrAccessDenied):
		return errAccessDenied(err.Error())
	case errors.Is(err, storage.ErrInvalidArgument):
		return &s3Error{http.StatusBadRequest, "InvalidArgument", err.Error()}
	}
	return &s3Error{http.StatusInternalServerError, "InternalError", err.Error()}
}

// Handler returns the HTTP face of the bucket, to be served at Options.BaseURL: GET, HEAD and
// PUT of signed URLs, and POST of upload forms, answering as S3 does (XML errors, 403 for an
// expired, tampered or unsigned request or one its signer's policy forbids, 400 EntityTooLarge
// for a file over the form's limit). Unsigned requests are refused: the bucket is private.
//
// The handler reads the key from the request path below the base URL's path, so mount it where
// the path arrives unchanged: http.ServeMux cleans paths ("a//b", "./", "../") and redirects
// them, which keys with such segments do not survive.
func (b *Bucket) Handler() http.Handler { return http.HandlerFunc(b.serveHTTP) }

func (b *Bucket) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, b.base.Path+"/")
	if !ok {
		(&s3Error{http.StatusNotFound, "NoSuchBucket", "no bucket at " + r.URL.Path}).write(w)
		return
	}
	var err *s3Error
	m := &meteredWriter{ResponseWriter: w}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		m.call.Op = "PostObject"
		err = b.servePost(m, r)
	case rest == "":
		err = &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "only POST of an upload form is served here"}
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		m.call.Op, m.call.Key = "GetObject", rest
		if r.Method == http.MethodHead {
			m.call.Op = "HeadObject"
		}
		err = b.serveGet(m, r, rest)
	case r.Method == http.MethodPut:
		m.call.Op, m.call.Key = "PutObject", rest
		err = b.servePut(m, r, rest)
	default:
		err = &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method + " is not served"}
	}
	if err != nil {
		err.write(m)
	}
	if m.call.Op != "" {
		m.call.Signed = true
		m.call.Failed = m.status >= 300
		if m.call.Failed {
			m.call.Size, m.call.Bytes = 0, 0
		}
		b.report(r.Context(), m.call)
	}
}

// meteredWriter notes what the handler answered, for OnCall: the status, and the bytes of an
// object's body sent.
type meteredWriter struct {
	http.ResponseWriter
	status int
	call   storage.Call
	body   bool // writes are an object's body
}

func (m *meteredWriter) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
	m.ResponseWriter.WriteHeader(status)
}

func (m *meteredWriter) Write(p []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	n, err := m.ResponseWriter.Write(p)
	if m.body {
		m.call.Bytes += int64(n)
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the server's writer.
func (m *meteredWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

func (b *Bucket) serveGet(w *meteredWriter, r *http.Request, key string) *s3Error {
	if err := request.Key(key); err != nil {
		return fromError(err)
	}
	if _, err := b.verifyURL(r, key); err != nil {
		return err
	}
	opts := &storage.GetOptions{IfMatch: r.Header.Get("If-Match")}
	if h := r.Header.Get("Range"); h != "" {
		rng, ok := parseRange(h)
		if !ok {
			return &s3Error{http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "unsupported Range " + h}
		}
		opts.Range = rng
	}
	obj, err := b.get(r.Context(), key, opts)
	if err != nil {
		return fromError(err)
	}
	defer obj.Close()
	h := w.Header()
	writeInfoHeaders(h, &obj.Info)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(obj.Length, 10))
	status := http.StatusOK
	if opts.Range != nil {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", obj.Offset, obj.Offset+obj.Length-1, obj.Info.Size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		w.body = true
		io.Copy(w, obj.Body)
	}
	return nil
}

func writeInfoHeaders(h http.Header, info *storage.ObjectInfo) {
	h.Set("ETag", info.ETag)
	h.Set("Content-Type", info.ContentType)
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	if info.CacheControl != "" {
		h.Set("Cache-Control", info.CacheControl)
	}
	for k, v := range info.Metadata {
		h.Set("X-Amz-Meta-"+k, v)
	}
}

// parseRange parses the one-range forms S3 supports: bytes=a-b, bytes=a-, bytes=-n.
func parseRange(h string) (*storage.Range, bool) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil, false
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, false
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		return storage.LastBytes(n), err == nil && n > 0
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return nil, false
	}
	if last == "" {
		return storage.FromOffset(a), true
	}
	z, err := strconv.ParseInt(last, 10, 64)
	if errors.Is(err, strconv.ErrRange) && strings.Trim(last, "0123456789") == "" {
		// A last position past any object's end reads to the end, as S3 clamps it.
		return storage.FromOffset(a), true
	}
	if err != nil || z < a {
		return nil, false
	}
	if z-a == math.MaxInt64 {
		return storage.FromOffset(a), true // its length, z-a+1, is past int64
	}
	return storage.ByteRange(a, z-a+1), true
}

func (b *Bucket) servePut(w *meteredWriter, r *http.Request, key string) *s3Error {
	if err := request.Key(key); err != nil {
		return fromError(err)
	}
	id, serr := b.verifyURL(r, key)
	if serr != nil {
		return serr
	}
	opts := &storage.PutOptions{
		ContentType:  r.Header.Get("Content-Type"),
		CacheControl: r.Header.Get("Cache-Control"),
		IfMatch:      r.Header.Get("If-Match"),
		IfAbsent:     r.Header.Get("If-None-Match") == "*",
	}
	for k, v := range r.Header {
		if m, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok && len(v) > 0 {
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata[m] = v[0]
		}
	}
	info, err := b.put(r.Context(), key, r.Body, opts, bySignedURL, id, b.opts.MaxObjectSize, 0)
	if err != nil {
		return fromError(err)
	}
	w.call.Size = info.Size
	w.Header().Set("ETag", info.ETag)
	w.WriteHeader(http.StatusOK)
	return nil
}

// maxFormFields bounds the bytes of a form's fields, read before the file.
const maxFormFields = 64 << 10

func (b *Bucket) servePost(w *meteredWriter, r *http.Request) *s3Error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return &s3Error{http.StatusBadRequest, "MalformedPOSTRequest", "the body is not multipart/form-data"}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return &s3Error{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
	}
	// Fields come before the file; S3 ignores what follows it.
	fields := map[string]string{}
	read := 0
	for {
		part, err := mr.NextPart()
		if err != nil {
			return &s3Error{http.StatusBadRequest, "MalformedPOSTRequest", "no file field"}
		}
		name := strings.ToLower(part.FormName())
		if name == "file" {
			defer part.Close()
			return b.postFile(w, r, fields, part)
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFormFields-int64(read)+1))
		read += len(v)
		if err != nil || read > maxFormFields {
			return &s3Error{http.StatusBadRequest, "MalformedPOSTRequest", "form fields too large"}
		}
		fields[name] = string(v)
	}
}

func (b *Bucket) postFile(w *meteredWriter, r *http.Request, fields map[string]string, file io.Reader) *s3Error {
	key := fields["key"]
	w.call.Key = key
	if err := request.Key(key); err != nil {
		return fromError(err)
	}
	policy, sig := fields["policy"], fields["x-amz-signature"]
	if policy == "" || sig == "" || fields["x-amz-algorithm"] != algorithm {
		return errAccessDenied("the form is not signed")
	}
	id, secret, serr := b.secretFor(r.Context(), fields["x-amz-credential"], fields["x-amz-security-token"])
	if serr != nil {
		return serr
	}
	if want := formSignature(secret, policy); !hmacEqual(want, sig) {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The form signature does not match"}
	}
	lim, err := s3form.Check(policy, fields, b.name, b.opts.Now())
	if err != nil {
		if errors.Is(err, s3form.ErrMalformed) {
			return &s3Error{http.StatusBadRequest, "InvalidPolicyDocument", err.Error()}
		}
		return errAccessDenied("Invalid according to Policy: " + err.Error())
	}
	if id != "" && !strings.HasPrefix(key, b.opts.Prefix(id)) {
		return errAccessDenied("the signer may not access this key")
	}
	opts := &storage.PutOptions{ContentType: fields["content-type"], CacheControl: fields["cache-control"]}
	for k, v := range fields {
		if m, ok := strings.CutPrefix(k, "x-amz-meta-"); ok {
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata[m] = v
		}
	}
	maxSize := b.opts.MaxObjectSize
	if lim.MaxSize >= 0 {
		maxSize = min(maxSize, lim.MaxSize)
	}
	info, perr := b.put(r.Context(), key, file, opts, byForm, id, maxSize, lim.MinSize)
	if perr != nil {
		if errors.Is(perr, storage.ErrTooLarge) {
			return &s3Error{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
		}
		if errors.Is(perr, errTooSmall) {
			return &s3Error{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
		}
		return fromError(perr)
	}
	w.call.Size = info.Size
	s3form.WriteSuccess(w, fields["success_action_status"], b.objectURL(key), b.name, key, info.ETag)
	return nil
}

func hmacEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
