package storagetest

import (
	"net/http"
	"slices"
)

// S3Request is one request the S3 server received, named by S3's API action, as S3 bills it.
type S3Request struct {
	// Action is S3's API action: "PutObject", "UploadPart", "GetObject", "PostObject" for a
	// form upload… (see action).
	Action string
	Bucket string
	// Key is the object's key; empty for requests on the bucket (ListObjectsV2), and the
	// form's key is not known to the server before it reads the form.
	Key string
	// Status is the HTTP status of the answer.
	Status int
}

// Requests returns the requests the server has answered, in the order it answered them.
func (s *S3Server) Requests() []S3Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// logRequest notes r, answered with status.
func (s *S3Server) logRequest(r *http.Request, bucket, key string, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	s.mu.Lock()
	s.requests = append(s.requests, S3Request{Action: action(r, key), Bucket: bucket, Key: key, Status: status})
	s.mu.Unlock()
}

// action names the S3 API action of a request on bucket and key, from its method, query and
// headers, as the S3 API Reference routes them.
func action(r *http.Request, key string) string {
	q := r.URL.Query()
	_, uploads := q["uploads"]
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case key == "":
		switch r.Method {
		case http.MethodPost:
			if _, del := q["delete"]; del {
				return "DeleteObjects"
			}
			return "PostObject"
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2"
			}
			return "ListObjects"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		}
	case r.Method == http.MethodPut && q.Get("uploadId") != "" && copySource:
		return "UploadPartCopy"
	case r.Method == http.MethodPut && q.Get("uploadId") != "":
		return "UploadPart"
	case r.Method == http.MethodPut && copySource:
		return "CopyObject"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodPost && uploads:
		return "CreateMultipartUpload"
	case r.Method == http.MethodPost && q.Get("uploadId") != "":
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Get("uploadId") != "":
		return "AbortMultipartUpload"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	case r.Method == http.MethodGet && q.Get("uploadId") != "":
		return "ListParts"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead:
		return "HeadObject"
	}
	return r.Method
}
