package storagetest

import (
	"io"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// backend is gofakes3's in-memory backend made to replace an object's metadata on every write,
// as S3 does: s3mem merges the old metadata into the new. It lists the keys each write set, and
// reads return only those.
type backend struct {
	*s3mem.Backend
}

// keysHeader lists the metadata keys of the last write.
const keysHeader = "X-Amz-Storagetest-Keys"

func (b *backend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, conds *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	names := make([]string, 0, len(meta))
	for k := range meta {
		names = append(names, k)
	}
	meta[keysHeader] = strings.Join(names, ",")
	return b.Backend.PutObject(bucket, key, meta, input, size, conds)
}

func filterMeta(obj *gofakes3.Object) {
	list, ok := obj.Metadata[keysHeader]
	if !ok {
		return
	}
	kept := map[string]string{}
	for _, k := range strings.Split(list, ",") {
		if v, ok := obj.Metadata[k]; ok {
			kept[k] = v
		}
	}
	obj.Metadata = kept
}

func (b *backend) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.Backend.GetObject(bucket, key, rng)
	if err == nil {
		filterMeta(obj)
	}
	return obj, err
}

func (b *backend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := b.Backend.HeadObject(bucket, key)
	if err == nil {
		filterMeta(obj)
	}
	return obj, err
}
