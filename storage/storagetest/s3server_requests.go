package storagetest

import "net/http"

// S3Request is one request the S3 server answered, named by S3's API action, as S3 bills it
// (see S3ServerOptions.OnRequest).
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

// logRequest tells OnRequest of r, answered with status.
func (s *S3Server) logRequest(r *http.Request, bucket, key string, status int) {
	if s.onRequest == nil {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	s.onRequest(S3Request{Action: action(r, key), Bucket: bucket, Key: key, Status: status})
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
