package storagetest

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// copyToItself is S3's refusal of a CopyObject onto its own source that changes nothing.
var copyToItself = &s3Err{http.StatusBadRequest, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."}

// copyTooLarge is S3's refusal of a copy source over its limit.
func (s *S3Server) copyTooLarge() *s3Err {
	return &s3Err{http.StatusBadRequest, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: " + strconv.FormatInt(s.maxCopySize, 10)}
}

// parseCopySource returns the bucket and key an x-amz-copy-source header names. The header is
// URL-encoded and a raw '?' starts its query (versionId), so the query is cut off before the
// rest is unescaped: an escaped '?' ("%3F") belongs to the key.
func parseCopySource(src string) (bucket, key string, err error) {
	src, _, _ = strings.Cut(src, "?")
	src, err = url.PathUnescape(src)
	if err != nil {
		return "", "", err
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(src, "/"), "/")
	return bucket, key, nil
}

// copySource reads the object an x-amz-copy-source header names, checking
// x-amz-copy-source-if-match.
func (s *S3Server) copySource(r *http.Request, src string) (*gofakes3.Object, []byte, *s3Err) {
	srcBucket, srcKey, err := parseCopySource(src)
	if err != nil {
		return nil, nil, &s3Err{http.StatusBadRequest, "InvalidArgument", "malformed x-amz-copy-source"}
	}
	obj, err := s.backend.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return nil, nil, noSuchKey
	}
	data, err := io.ReadAll(obj.Contents)
	obj.Contents.Close()
	if err != nil {
		return nil, nil, &s3Err{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	if im := r.Header.Get("X-Amz-Copy-Source-If-Match"); im != "" && !matches(im, s.etagOf(srcBucket, srcKey, hex.EncodeToString(obj.Hash))) {
		return nil, nil, preconditionFailed
	}
	return obj, data, nil
}

// copyObject copies in the layer, since gofakes3 merges metadata where S3's REPLACE directive
// replaces it. As S3 does, it reads the source (and checks its condition) first, then refuses a
// copy onto itself that changes nothing, then checks the destination's conditions. The caller
// holds the destination key's lock.
func (s *S3Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key, src string) *s3Err {
	obj, data, serr := s.copySource(r, src)
	if serr != nil {
		return serr
	}
	if int64(len(data)) > s.maxCopySize {
		return s.copyTooLarge()
	}
	replace := strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE")
	if srcBucket, srcKey, _ := parseCopySource(src); srcBucket == bucket && srcKey == key && !replace {
		return copyToItself
	}
	if err := s.checkWrite(r, bucket, key); err != nil {
		return err
	}
	meta := map[string]string{}
	if replace {
		for k, v := range r.Header {
			if k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" || k == cacheHeader || k == carriedHeaders["Expires"] || strings.HasPrefix(k, "X-Amz-Meta-") {
				meta[k] = v[0]
			}
		}
	} else {
		for k, v := range obj.Metadata {
			meta[k] = v
		}
	}
	now := s.Now().UTC()
	meta["Last-Modified"] = now.Format(http.TimeFormat)
	if _, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		return &s3Err{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	s.noteWrite(bucket, key, nil)
	writeCopyResult(w, "CopyObjectResult", now, `"`+hex.EncodeToString(obj.Hash)+`"`)
	return nil
}

// writeCopyResult answers a copy, of an object or of a part (element CopyPartResult).
func writeCopyResult(w http.ResponseWriter, element string, lastModified time.Time, etag string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	xml.NewEncoder(w).Encode(struct {
		XMLName      xml.Name
		LastModified string
		ETag         string
	}{XMLName: xml.Name{Local: element}, LastModified: lastModified.UTC().Format("2006-01-02T15:04:05.000Z"), ETag: etag})
}

// copyRangeRE is the form of x-amz-copy-source-range.
var copyRangeRE = regexp.MustCompile(`^bytes=(\d+)-(\d+)$`)

// uploadPartCopy serves UploadPartCopy, which gofakes3 lacks: it reads the source's range and
// hands gofakes3 an UploadPart with those bytes.
func (s *S3Server) uploadPartCopy(w http.ResponseWriter, r *http.Request, src string) *s3Err {
	_, data, serr := s.copySource(r, src)
	if serr != nil {
		return serr
	}
	if rng := r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		m := copyRangeRE.FindStringSubmatch(rng)
		var first, last int64
		if m != nil {
			first, _ = strconv.ParseInt(m[1], 10, 64)
			last, _ = strconv.ParseInt(m[2], 10, 64)
		}
		if m == nil || first > last || last >= int64(len(data)) {
			return &s3Err{http.StatusBadRequest, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"}
		}
		data = data[first : last+1]
	}
	if int64(len(data)) > s.maxCopySize {
		return s.copyTooLarge()
	}
	part := r.Clone(r.Context())
	for k := range part.Header {
		if strings.HasPrefix(k, "X-Amz-Copy-Source") || k == "Content-Md5" {
			part.Header.Del(k)
		}
	}
	part.Body = io.NopCloser(bytes.NewReader(data))
	part.ContentLength = int64(len(data))
	part.Header.Set("Content-Length", strconv.Itoa(len(data)))
	rec := httptest.NewRecorder()
	s.faker.ServeHTTP(rec, part)
	if rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return nil
	}
	writeCopyResult(w, "CopyPartResult", s.Now(), rec.Header().Get("ETag"))
	return nil
}
