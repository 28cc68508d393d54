// Package s3form builds and checks the policy documents of S3 browser uploads (presigned POST),
// and derives SigV4 signing keys; awss3 signs forms with it, memstorage and the test server in
// storagetest check them.
package s3form

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AlgorithmSigV4 is the x-amz-algorithm of forms signed with SigV4.
const AlgorithmSigV4 = "AWS4-HMAC-SHA256"

// DateFormat is SigV4's x-amz-date format.
const DateFormat = "20060102T150405Z"

// Errors of Check, for callers to map to S3's codes.
var (
	ErrExpired   = errors.New("policy expired")
	ErrViolation = errors.New("policy condition failed")
	ErrMalformed = errors.New("malformed policy")
	ErrTooLarge  = errors.New("file larger than the policy allows")
	ErrTooSmall  = errors.New("file smaller than the policy allows")
)

// Spec is what a form allows.
type Spec struct {
	Bucket, Key       string
	Expires           time.Time
	MinSize, MaxSize  int64
	ContentType       string
	ContentTypePrefix string
	// Fields are further fields the form carries and the policy fixes, such as
	// x-amz-meta-* and the x-amz-credential family.
	Fields map[string]string
}

// Build returns the base64 policy document for s and the form's fields, without the signature
// (and without policy, which the caller adds once signed).
func Build(s Spec) (policy string, fields map[string]string) {
	fields = map[string]string{"key": s.Key}
	conds := []any{
		map[string]string{"bucket": s.Bucket},
		[]any{"eq", "$key", s.Key},
		[]any{"content-length-range", s.MinSize, s.MaxSize},
	}
	switch {
	case s.ContentType != "":
		fields["Content-Type"] = s.ContentType
		conds = append(conds, []any{"eq", "$Content-Type", s.ContentType})
	case s.ContentTypePrefix != "":
		conds = append(conds, []any{"starts-with", "$Content-Type", s.ContentTypePrefix})
	}
	for _, k := range slices.Sorted(maps.Keys(s.Fields)) {
		fields[k] = s.Fields[k]
		conds = append(conds, map[string]string{k: s.Fields[k]})
	}
	doc, _ := json.Marshal(map[string]any{
		"expiration": s.Expires.UTC().Format("2006-01-02T15:04:05.000Z"),
		"conditions": conds,
	})
	return base64.StdEncoding.EncodeToString(doc), fields
}

// Limits is what Check learned from a policy about the file it allows.
type Limits struct {
	MinSize, MaxSize int64
}

// Check checks the form's fields (names as sent; compared without case) against the base64
// policy document at time now, as S3 does: the policy must not have expired, every condition
// must hold, and every field but the exempt ones must be named by a condition. bucket is the
// bucket the form was posted to.
func Check(policy string, fields map[string]string, bucket string, now time.Time) (Limits, error) {
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		return Limits{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Limits{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return Limits{}, fmt.Errorf("%w: expiration: %v", ErrMalformed, err)
	}
	if !now.Before(exp) {
		return Limits{}, fmt.Errorf("%w at %s", ErrExpired, doc.Expiration)
	}
	f := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		f[strings.ToLower(k)] = v
	}
	f["bucket"] = bucket
	covered := map[string]bool{}
	lim := Limits{MinSize: 0, MaxSize: -1}
	for _, c := range doc.Conditions {
		var exact map[string]string
		if json.Unmarshal(c, &exact) == nil {
			for k, v := range exact {
				k = strings.ToLower(k)
				if got, ok := f[k]; !ok || got != v {
					return Limits{}, fmt.Errorf("%w: %s is %q, want %q", ErrViolation, k, got, v)
				}
				covered[k] = true
			}
			continue
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(c, &arr); err != nil || len(arr) != 3 {
			return Limits{}, fmt.Errorf("%w: condition %s", ErrMalformed, c)
		}
		var op string
		if err := json.Unmarshal(arr[0], &op); err != nil {
			return Limits{}, fmt.Errorf("%w: condition %s", ErrMalformed, c)
		}
		op = strings.ToLower(op)
		if op == "content-length-range" {
			lo, err1 := strconv.ParseInt(string(arr[1]), 10, 64)
			hi, err2 := strconv.ParseInt(string(arr[2]), 10, 64)
			if err1 != nil || err2 != nil || lo < 0 || hi < lo {
				return Limits{}, fmt.Errorf("%w: condition %s", ErrMalformed, c)
			}
			lim = Limits{MinSize: lo, MaxSize: hi}
			continue
		}
		var name, want string
		if json.Unmarshal(arr[1], &name) != nil || json.Unmarshal(arr[2], &want) != nil || !strings.HasPrefix(name, "$") {
			return Limits{}, fmt.Errorf("%w: condition %s", ErrMalformed, c)
		}
		name = strings.ToLower(name[1:])
		got := f[name]
		switch op {
		case "eq":
			if got != want {
				return Limits{}, fmt.Errorf("%w: %s is %q, want %q", ErrViolation, name, got, want)
			}
		case "starts-with":
			if !strings.HasPrefix(got, want) {
				return Limits{}, fmt.Errorf("%w: %s is %q, want a prefix %q", ErrViolation, name, got, want)
			}
		default:
			return Limits{}, fmt.Errorf("%w: operator %q", ErrMalformed, op)
		}
		covered[name] = true
	}
	for k := range f {
		if covered[k] || exempt(k) {
			continue
		}
		return Limits{}, fmt.Errorf("%w: field %s is not in the policy", ErrViolation, k)
	}
	return lim, nil
}

// exempt reports whether S3 lets a form field go unnamed by the policy.
func exempt(k string) bool {
	switch k {
	case "policy", "x-amz-signature", "file", "bucket", "awsaccesskeyid", "signature":
		return true
	}
	return strings.HasPrefix(k, "x-ignore-")
}

// CheckSize checks a file's size against the limits.
func (l Limits) CheckSize(n int64) error {
	switch {
	case l.MaxSize >= 0 && n > l.MaxSize:
		return fmt.Errorf("%w: over %d bytes", ErrTooLarge, l.MaxSize)
	case n < l.MinSize:
		return fmt.Errorf("%w: %d bytes, under %d", ErrTooSmall, n, l.MinSize)
	}
	return nil
}

// SigningKey derives SigV4's signing key for a day (yyyymmdd), region and service.
func SigningKey(secret, day, region, service string) []byte {
	k := HMAC([]byte("AWS4"+secret), day)
	k = HMAC(k, region)
	k = HMAC(k, service)
	return HMAC(k, "aws4_request")
}

// HMAC returns HMAC-SHA256 of data under key.
func HMAC(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// SignPolicy returns the hex SigV4 signature of a base64 policy document.
func SignPolicy(secret, day, region, policy string) string {
	return hex.EncodeToString(HMAC(SigningKey(secret, day, region, "s3"), policy))
}

// WriteSuccess answers a successful form POST as S3 does, by the form's success_action_status:
// 200 or 201 (with a PostResponse document) when the form asks for them, 204 otherwise.
func WriteSuccess(w http.ResponseWriter, successStatus, location, bucket, key, etag string) {
	w.Header().Set("ETag", etag)
	w.Header().Set("Location", location)
	switch successStatus {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusCreated)
		xml.NewEncoder(w).Encode(struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string
			Bucket   string
			Key      string
			ETag     string
		}{Location: location, Bucket: bucket, Key: key, ETag: etag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
