package storagetest

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// listObjectsV2 lists in the layer, since gofakes3 lists a key that ends with the delimiter as
// an object and repeats common prefixes across pages. It lists the prefix whole and pages it
// here, which is slow for big buckets but exact.
func (s *S3Server) listObjectsV2(w http.ResponseWriter, r *http.Request, bucket string) *s3Err {
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &s3Err{http.StatusBadRequest, "InvalidArgument", "max-keys"}
		}
		maxKeys = min(n, 1000)
	}
	list, err := s.backend.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: prefix}, gofakes3.ListBucketPage{})
	if err != nil {
		return &s3Err{http.StatusNotFound, "NoSuchBucket", err.Error()}
	}
	type content struct {
		Key          string
		LastModified string
		ETag         string
		Size         int64
		StorageClass string
	}
	type commonPrefix struct{ Prefix string }
	res := struct {
		XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name                  string
		Prefix                string
		Delimiter             string `xml:",omitempty"`
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		StartAfter            string `xml:",omitempty"`
		Contents              []content
		CommonPrefixes        []commonPrefix
	}{Name: bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, ContinuationToken: q.Get("continuation-token"), StartAfter: q.Get("start-after")}
	// A token is the last entry of the page before, marked as key or prefix.
	after, afterPrefix := q.Get("start-after"), false
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) == 0 {
			return &s3Err{http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect"}
		}
		after, afterPrefix = string(raw[1:]), raw[0] == 'p'
	}
	var last string
	for _, c := range list.Contents {
		k := c.Key
		if after != "" && (k <= after || afterPrefix && strings.HasPrefix(k, after)) {
			continue
		}
		entry, isPrefix := k, false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry, isPrefix = k[:len(prefix)+i+len(delim)], true
				if isPrefix && last == "p"+entry {
					continue
				}
			}
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		res.KeyCount++
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{entry})
			last = "p" + entry
			continue
		}
		last = "k" + entry
		res.Contents = append(res.Contents, content{
			Key: k, LastModified: c.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"),
			ETag: `"` + s.etagOf(bucket, k, strings.Trim(c.ETag, `"`)) + `"`, Size: c.Size, StorageClass: "STANDARD",
		})
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(res)
	return nil
}
