package storagetest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"

	"github.com/servous/servous/storage/internal/s3form"
)

func isMultipartForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

// maxFormBody bounds what the layer buffers of a form POST.
const maxFormBody = 1 << 30

// servePostForm checks a browser upload as S3 does (SigV4 signature of the policy, expiry,
// conditions, content-length-range, the signer's prefix policy), then hands gofakes3 the form
// with the fields it understands.
func (s *S3Server) servePostForm(w http.ResponseWriter, r *http.Request, bucket string) *s3Err {
	mr, err := r.MultipartReader()
	if err != nil {
		return &s3Err{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
	}
	fields := map[string]string{}
	var file []byte
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &s3Err{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
		}
		data, err := io.ReadAll(io.LimitReader(part, maxFormBody+1))
		if err != nil || len(data) > maxFormBody {
			return &s3Err{http.StatusBadRequest, "MalformedPOSTRequest", "body too large for the test server"}
		}
		if strings.EqualFold(part.FormName(), "file") {
			file, found = data, true
			break // S3 ignores fields after the file
		}
		fields[strings.ToLower(part.FormName())] = string(data)
	}
	if !found {
		return &s3Err{http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request."}
	}
	if fields["x-amz-algorithm"] != s3form.AlgorithmSigV4 || fields["policy"] == "" || fields["x-amz-signature"] == "" {
		return denied("the form is not signed")
	}
	akid, scope, _ := strings.Cut(fields["x-amz-credential"], "/")
	sp := strings.Split(scope, "/")
	if len(sp) != 4 {
		return &s3Err{http.StatusBadRequest, "InvalidArgument", "malformed x-amz-credential"}
	}
	u, uerr := s.user(r.Context(), akid, fields["x-amz-security-token"])
	if uerr != nil {
		return uerr
	}
	if s3form.SignPolicy(u.creds.SecretAccessKey, sp[0], sp[1], fields["policy"]) != fields["x-amz-signature"] {
		return &s3Err{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	lim, err := s3form.Check(fields["policy"], fields, bucket, s.Now())
	switch {
	case errors.Is(err, s3form.ErrMalformed):
		return &s3Err{http.StatusBadRequest, "InvalidPolicyDocument", err.Error()}
	case err != nil:
		return denied("Invalid according to Policy: " + err.Error())
	}
	if err := lim.CheckSize(int64(len(file))); errors.Is(err, s3form.ErrTooLarge) {
		return &s3Err{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
	} else if err != nil {
		return &s3Err{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
	}
	key := fields["key"]
	if !u.root && !strings.HasPrefix(key, u.prefix) {
		return denied("the policy allows only " + u.prefix + "*")
	}
	// gofakes3 stores the fields it finds under canonical header names; give it only those.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		switch {
		case k == "key":
			mw.WriteField("key", v)
		case k == "cache-control":
			mw.WriteField(cacheHeader, v)
		case k == "content-type" || strings.HasPrefix(k, "x-amz-meta-"):
			mw.WriteField(textproto.CanonicalMIMEHeaderKey(k), v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "upload")
	fw.Write(file)
	mw.Close()
	fr, err := http.NewRequestWithContext(r.Context(), http.MethodPost, r.URL.String(), &body)
	if err != nil {
		return &s3Err{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	fr.Header.Set("Content-Type", mw.FormDataContentType())
	unlock := s.lockKey(bucket, key)
	defer unlock()
	rec := httptest.NewRecorder()
	s.faker.ServeHTTP(rec, fr)
	if rec.Code/100 != 2 {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return nil
	}
	s.noteWrite(bucket, key, nil)
	s3form.WriteSuccess(w, fields["success_action_status"], s.URL+"/"+bucket+"/"+key, bucket, key, rec.Header().Get("ETag"))
	return nil
}
