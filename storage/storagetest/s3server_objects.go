package storagetest

import (
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// cacheHeader carries Cache-Control through gofakes3, which drops it.
const cacheHeader = "X-Amz-Storagetest-Cache-Control"

// carriedHeaders are the headers of an object that S3 keeps and gofakes3 drops, with the
// X-Amz-* header that carries each through gofakes3.
var carriedHeaders = map[string]string{
	"Cache-Control": cacheHeader,
	"Expires":       "X-Amz-Storagetest-Expires",
}

// cacheControlWriter turns carriedHeaders back into themselves in responses, and an object's
// ETag into the one S3 reports (see etagOf): from the MD5 gofakes3 sent with the body it
// serves, so the two match even when the object changes meanwhile.
type cacheControlWriter struct {
	http.ResponseWriter
	done        bool
	s           *S3Server
	bucket, key string
}

func (w *cacheControlWriter) fix() {
	if w.done {
		return
	}
	w.done = true
	h := w.Header()
	for name, carrier := range carriedHeaders {
		if v := h.Get(carrier); v != "" {
			h.Set(name, v)
			h.Del(carrier)
		}
	}
	if e := h.Get("ETag"); e != "" {
		h.Set("ETag", `"`+w.s.etagOf(w.bucket, w.key, strings.Trim(e, `"`))+`"`)
	}
}

func (w *cacheControlWriter) WriteHeader(code int) {
	w.fix()
	w.ResponseWriter.WriteHeader(code)
}

func (w *cacheControlWriter) Write(p []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(p)
}

// lockKey serializes the writes and conditional checks of one key, so a condition checked here
// still holds when gofakes3 writes.
func (s *S3Server) lockKey(bucket, key string) func() {
	id := bucket + "/" + key
	s.mu.Lock()
	l := s.keyMus[id]
	if l == nil {
		l = &keyLock{}
		s.keyMus[id] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.keyMus, id)
		}
		s.mu.Unlock()
	}
}

// current returns the ETag (unquoted) and size of the object at key, or ok false.
func (s *S3Server) current(bucket, key string) (etag string, size int64, ok bool) {
	obj, err := s.backend.HeadObject(bucket, key)
	if err != nil {
		return "", 0, false
	}
	obj.Contents.Close()
	return s.etagOf(bucket, key, hex.EncodeToString(obj.Hash)), obj.Size, true
}

// etagOf returns the ETag (unquoted) S3 reports for the object at key whose body's MD5 is md5:
// the multipart upload's that made it, or else the MD5.
func (s *S3Server) etagOf(bucket, key, md5 string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.multipart[bucket+"/"+key]; ok && m.md5 == md5 {
		return m.etag
	}
	return md5
}

// noteWrite records what a successful write left at key: the ETag a multipart upload completed
// with (from its response body), or, for any other write, no multipart ETag.
func (s *S3Server) noteWrite(bucket, key string, completion []byte) {
	var res struct{ ETag string }
	var obj *gofakes3.Object
	if completion != nil && xml.Unmarshal(completion, &res) == nil && res.ETag != "" {
		var err error
		if obj, err = s.backend.HeadObject(bucket, key); err == nil {
			obj.Contents.Close()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.multipart, bucket+"/"+key)
	if obj != nil {
		s.multipart[bucket+"/"+key] = multipartETag{md5: hex.EncodeToString(obj.Hash), etag: strings.Trim(res.ETag, `"`)}
	}
}

// statusWriter notes the status of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func matches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.Trim(strings.TrimSpace(t), `"`)
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// checkWrite checks the conditions of a write to key (If-None-Match, If-Match) against the
// object there. The caller holds the key's lock.
func (s *S3Server) checkWrite(r *http.Request, bucket, key string) *s3Err {
	etag, _, ok := s.current(bucket, key)
	if inm := r.Header.Get("If-None-Match"); inm != "" && ok && matches(inm, etag) {
		return preconditionFailed
	}
	if im := r.Header.Get("If-Match"); im != "" {
		if !ok {
			// A conditional write needs an object to compare with.
			return noSuchKey
		}
		if !matches(im, etag) {
			return preconditionFailed
		}
	}
	return nil
}

func (s *S3Server) serveObject(w http.ResponseWriter, r *http.Request, bucket, key string) *s3Err {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		etag, size, ok := s.current(bucket, key)
		if im := r.Header.Get("If-Match"); im != "" && ok && !matches(im, etag) {
			return preconditionFailed
		}
		// S3 serves a suffix range longer than the object as the whole object; gofakes3 refuses.
		if rng := r.Header.Get("Range"); ok && size > 0 && strings.HasPrefix(rng, "bytes=-") {
			if n, err := strconv.ParseInt(rng[len("bytes=-"):], 10, 64); err == nil && n > size {
				r.Header.Set("Range", "bytes=0-")
			}
		}
		s.faker.ServeHTTP(w, r)
		return nil
	case r.Method == http.MethodPut && q.Get("uploadId") != "":
		// An upload part: nothing is visible until completion.
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
			return s.uploadPartCopy(w, r, src)
		}
		s.faker.ServeHTTP(w, r)
		return nil
	case r.Method == http.MethodPut, r.Method == http.MethodDelete,
		r.Method == http.MethodPost && q.Get("uploadId") != "":
		unlock := s.lockKey(bucket, key)
		defer unlock()
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" && r.Method == http.MethodPut {
			return s.copyObject(w, r, bucket, key, src)
		}
		if err := s.checkWrite(r, bucket, key); err != nil {
			return err
		}
		if r.Method == http.MethodPost {
			// The completion of a multipart upload: its answer names the object's ETag.
			rec := httptest.NewRecorder()
			s.faker.ServeHTTP(rec, r)
			if rec.Code == http.StatusOK {
				s.noteWrite(bucket, key, rec.Body.Bytes())
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return nil
		}
		sw := &statusWriter{ResponseWriter: w}
		s.faker.ServeHTTP(sw, r)
		if sw.code/100 == 2 {
			s.noteWrite(bucket, key, nil)
		}
		return nil
	}
	s.faker.ServeHTTP(w, r)
	return nil
}
