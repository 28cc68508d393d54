package memstorage

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// Options configures a Bucket. A nil *Options means the defaults of each field.
type Options struct {
	// BaseURL is where the bucket's Handler is served, such as "http://127.0.0.1:8080/media";
	// signed URLs and upload forms point under it. Empty means "http://localhost/".
	BaseURL string
	// Region is the bucket's AWS region in event payloads; empty means "us-east-1".
	Region string
	// Now is the clock for timestamps and signature expiry; nil means time.Now.
	Now func() time.Time
	// MaxObjectSize is the largest object Put accepts; 0 means 5 TiB, S3's limit.
	MaxObjectSize int64
	// MultipartThreshold, when positive, makes Puts of more bytes than it behave as S3 uploads in
	// parts of PartSize bytes (what awss3 does for large bodies): their ETag is S3's multipart
	// ETag and their event is ObjectCreated:CompleteMultipartUpload. As in awss3, whose transfer
	// manager reads up to the threshold before it chooses, a body of unknown length (not an
	// io.ReadSeeker) goes in parts when it reaches the threshold. 0 stores every Put as one
	// part. A PUT of a signed URL or a form's POST is one request, stored as one part whatever
	// its size.
	MultipartThreshold int64
	// PartSize is the part size for MultipartThreshold; 0 means 8 MiB.
	PartSize int64
	// MaxCopySize is the largest object Copy copies in one CopyObject as awss3 does; a
	// larger one its twin copies in parts of CopyPartSize with UploadPartCopy, which matters
	// only to the calls reported to OnCall. 0 means 5 GiB, S3's limit.
	MaxCopySize int64
	// CopyPartSize is the part size of those copies, as in awss3.Options; 0 means 512 MiB.
	CopyPartSize int64
	// OnCall, when not nil, is told of the requests the bucket's AWS twin would send to S3
	// for each call of its methods, so that a run on memory meters as it would on AWS: the
	// twin is awss3 with a part size of PartSize above MultipartThreshold (a body of known
	// length, such as a *bytes.Reader, goes up in parts when it is longer than the threshold;
	// one of unknown length when it reaches it) and the same copy settings. Put, Copy and
	// the HeadObject that awss3's Copy sends to fill in its answer are reported as awss3
	// reports them; a Get is reported when the object's body is closed, with the bytes read.
	// Calls refused before any request (an invalid key or range, an ended context) report
	// nothing, nor does a body that cannot be read. The requests Handler serves are reported
	// too, with Signed set. OnCall runs on the caller's goroutine.
	OnCall func(ctx context.Context, c storage.Call)
	// SigningKey signs the URLs and forms the bucket signs with its own credentials; nil means
	// 32 random bytes.
	SigningKey []byte
	// Authority checks caller credentials: those of WithCredentials, and those that signed a URL
	// or form (SignOptions.Credentials, FormOptions.Credentials). Nil means the bucket accepts
	// no caller credentials.
	Authority identity.Authority
	// Prefix returns the key prefix an identity may read, write and list under, the in-memory
	// twin of an IAM policy on "uploads/${cognito-identity.amazonaws.com:sub}/*". Nil means
	// "uploads/" + identityID + "/".
	Prefix func(identityID string) string
	// Publisher, when not nil, receives an S3 event notification for every object created or
	// removed, in order per key, after the change is visible, without slowing the writer.
	Publisher Publisher
	// OnPublishError, when not nil, is told of events the Publisher refused.
	OnPublishError func(error)
}

// Bucket is an in-memory bucket. It is safe for concurrent use. Its methods implement
// storage.Bucket with the bucket's own, unrestricted access; WithCredentials returns a view
// restricted to one identity's prefix.
type Bucket struct {
	name      string
	opts      Options
	base      *url.URL
	key       []byte
	mu        sync.RWMutex
	idx       *index
	sequencer uint64 // orders changes; guarded by mu
	pub       *notifier
}

var _ storage.Bucket = (*Bucket)(nil)

// object is one stored version of an object. It is never changed once in the index.
type object struct {
	info   storage.ObjectInfo
	chunks [][]byte
}

// New returns an empty bucket named name (the name appears in event payloads and in signed
// URLs' signatures).
func New(name string, opts *Options) *Bucket {
	b := &Bucket{name: name, idx: newIndex()}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.Region == "" {
		b.opts.Region = "us-east-1"
	}
	if b.opts.Now == nil {
		b.opts.Now = time.Now
	}
	if b.opts.MaxObjectSize <= 0 {
		b.opts.MaxObjectSize = 5 << 40
	}
	if b.opts.PartSize <= 0 {
		b.opts.PartSize = 8 << 20
	}
	if b.opts.MaxCopySize <= 0 {
		b.opts.MaxCopySize = 5 << 30
	}
	if b.opts.CopyPartSize <= 0 {
		b.opts.CopyPartSize = 512 << 20
	}
	if b.opts.Prefix == nil {
		b.opts.Prefix = func(id string) string { return "uploads/" + id + "/" }
	}
	b.key = b.opts.SigningKey
	if b.key == nil {
		b.key = make([]byte, 32)
		rand.Read(b.key)
	}
	base := b.opts.BaseURL
	if base == "" {
		base = "http://localhost/"
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		// A bad BaseURL is a programming error the first signed URL would reveal; keep the
		// bucket usable for everything else.
		u = &url.URL{Scheme: "http", Host: "localhost"}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	b.base = u
	if b.opts.Publisher != nil {
		b.pub = newNotifier(b.opts.Publisher, b.opts.OnPublishError)
	}
	return b
}

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Len returns the number of objects in the bucket.
func (b *Bucket) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.idx.len
}

func cloneInfo(i storage.ObjectInfo) *storage.ObjectInfo {
	i.Metadata = maps.Clone(i.Metadata)
	return &i
}

// Put implements storage.Bucket.
func (b *Bucket) Put(ctx context.Context, key string, body io.Reader, opts *storage.PutOptions) (*storage.ObjectInfo, error) {
	return b.put(ctx, key, body, opts, byAdapter, "", b.opts.MaxObjectSize, 0)
}

// A sender is who sends a Put.
type sender int

const (
	// byAdapter is the bucket's own Put, which its twin sends through the transfer manager
	// (large bodies in parts); put reports its calls.
	byAdapter sender = iota
	// bySignedURL is a PUT of a signed URL: one PutObject, which the handler reports.
	bySignedURL
	// byForm is a form's POST: one PostObject, which the handler reports.
	byForm
)

// errTooSmall refuses a form upload under the policy's minimum size.
var errTooSmall = errors.New("memstorage: smaller than the form allows")

// put writes an object of minSize to maxSize bytes; by is who sent it, principal who asked.
func (b *Bucket) put(ctx context.Context, key string, body io.Reader, opts *storage.PutOptions, by sender, principal string, maxSize, minSize int64) (*storage.ObjectInfo, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("memstorage: put: %w", err)
	}
	var o storage.PutOptions
	if opts != nil {
		o = *opts
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstorage: put %q: %w", key, err)
	}
	event := eventPut
	if by == byForm {
		event = eventPost
	}
	_, known := body.(io.ReadSeeker) // what awss3 takes for a body of known length
	chunks, size, sum, err := readBody(body, maxSize)
	if err != nil {
		return nil, fmt.Errorf("memstorage: put %q: %w", key, err)
	}
	if size < minSize {
		return nil, fmt.Errorf("memstorage: put %q: %w", key, errTooSmall)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstorage: put %q: %w", key, err)
	}
	etag := quoteETag(sum[:])
	parts, partSize := 0, int64(0)
	if by == byAdapter {
		parts, partSize = b.twinParts(size, known)
	}
	if parts > 0 {
		etag, event = multipartETag(chunks, size, partSize), eventMultipart
	}
	obj := &object{
		info: storage.ObjectInfo{
			Key:          key,
			Size:         size,
			ETag:         etag,
			ContentType:  contentType(o.ContentType),
			CacheControl: o.CacheControl,
			Metadata:     request.Metadata(o.Metadata),
		},
		chunks: chunks,
	}
	info, err := b.store(key, obj, o.IfAbsent, o.IfMatch, event, principal)
	if by == byAdapter {
		b.reportPut(ctx, key, size, parts, err)
	}
	return info, err
}

func contentType(ct string) string {
	if ct == "" {
		return "application/octet-stream"
	}
	return ct
}

// store puts obj at key if the conditions hold, then queues its event.
func (b *Bucket) store(key string, obj *object, ifAbsent bool, ifMatch, event, principal string) (*storage.ObjectInfo, error) {
	b.mu.Lock()
	cur, exists := b.idx.get(key)
	switch {
	case ifAbsent && exists:
		b.mu.Unlock()
		return nil, fmt.Errorf("memstorage: put %q: %w: the object exists", key, storage.ErrPreconditionFailed)
	case ifMatch != "" && !exists:
		// S3 answers 404 NoSuchKey: a conditional write needs an object to compare with.
		b.mu.Unlock()
		return nil, fmt.Errorf("memstorage: put %q: %w: If-Match %s on a key with no object", key, storage.ErrNotFound, ifMatch)
	case ifMatch != "" && !storage.ETagsEqual(ifMatch, cur.info.ETag):
		b.mu.Unlock()
		return nil, fmt.Errorf("memstorage: put %q: %w: ETag is not %s", key, storage.ErrPreconditionFailed, ifMatch)
	}
	obj.info.LastModified = b.opts.Now().UTC().Truncate(time.Millisecond)
	b.idx.put(key, obj)
	b.sequencer++
	b.notify(event, &obj.info, b.sequencer, principal)
	b.mu.Unlock()
	return cloneInfo(obj.info), nil
}

func (b *Bucket) lookup(key string) (object, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.idx.get(key)
}

// Get implements storage.Bucket.
func (b *Bucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (*storage.Object, error) {
	obj, err := b.get(ctx, key, opts)
	if b.opts.OnCall != nil {
		switch {
		case err == nil:
			obj.Body = &meteredBody{r: obj.Body.(*chunkReader), ctx: ctx, b: b, call: storage.Call{Op: "GetObject", Key: key}}
		case !refusedFirst(ctx, err, storage.ErrInvalidArgument):
			b.report(ctx, storage.Call{Op: "GetObject", Key: key, Failed: true})
		}
	}
	return obj, err
}

// get is Get without metering, for the handler, which meters what it serves.
func (b *Bucket) get(ctx context.Context, key string, opts *storage.GetOptions) (*storage.Object, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("memstorage: get: %w", err)
	}
	var o storage.GetOptions
	if opts != nil {
		o = *opts
	}
	// A range no request can carry is refused before anything is looked up, as awss3 refuses
	// it before sending anything.
	if o.Range != nil {
		if err := request.Range(o.Range); err != nil {
			return nil, fmt.Errorf("memstorage: get %q: %w", key, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstorage: get %q: %w", key, err)
	}
	obj, ok := b.lookup(key)
	if !ok {
		return nil, fmt.Errorf("memstorage: get %q: %w", key, storage.ErrNotFound)
	}
	if o.IfMatch != "" && !storage.ETagsEqual(o.IfMatch, obj.info.ETag) {
		return nil, fmt.Errorf("memstorage: get %q: %w: ETag is not %s", key, storage.ErrPreconditionFailed, o.IfMatch)
	}
	off, n := int64(0), obj.info.Size
	if o.Range != nil {
		var err error
		if off, n, err = request.ResolveRange(o.Range, obj.info.Size); err != nil {
			return nil, fmt.Errorf("memstorage: get %q: %w", key, err)
		}
	}
	return &storage.Object{
		Info:   *cloneInfo(obj.info),
		Body:   newChunkReader(obj.chunks, off, n),
		Offset: off,
		Length: n,
	}, nil
}

// Head implements storage.Bucket.
func (b *Bucket) Head(ctx context.Context, key string) (*storage.ObjectInfo, error) {
	info, err := b.head(ctx, key)
	if !refusedFirst(ctx, err) {
		b.report(ctx, storage.Call{Op: "HeadObject", Key: key, Failed: err != nil})
	}
	return info, err
}

func (b *Bucket) head(ctx context.Context, key string) (*storage.ObjectInfo, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("memstorage: head: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstorage: head %q: %w", key, err)
	}
	obj, ok := b.lookup(key)
	if !ok {
		return nil, fmt.Errorf("memstorage: head %q: %w", key, storage.ErrNotFound)
	}
	return cloneInfo(obj.info), nil
}

// Delete implements storage.Bucket.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := request.Key(key); err != nil {
		return fmt.Errorf("memstorage: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstorage: delete %q: %w", key, err)
	}
	err := b.remove(key, "")
	b.report(ctx, storage.Call{Op: "DeleteObject", Key: key})
	return err
}

func (b *Bucket) remove(key, principal string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	// S3 notifies a delete whether or not the key held an object, since DeleteObject succeeds
	// either way; so does memstorage.
	b.idx.delete(key)
	b.sequencer++
	b.notify(eventDelete, &storage.ObjectInfo{Key: key}, b.sequencer, principal)
	return nil
}

// Copy implements storage.Bucket.
func (b *Bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *storage.CopyOptions) (*storage.ObjectInfo, error) {
	return b.copy(ctx, dstKey, srcKey, opts, "")
}

func (b *Bucket) copy(ctx context.Context, dstKey, srcKey string, opts *storage.CopyOptions, principal string) (info *storage.ObjectInfo, err error) {
	for _, k := range []string{dstKey, srcKey} {
		if err := request.Key(k); err != nil {
			return nil, fmt.Errorf("memstorage: copy: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstorage: copy %q to %q: %w", srcKey, dstKey, err)
	}
	srcSize := int64(-1) // known once the source is found and its condition holds
	defer func() { b.reportCopy(ctx, dstKey, srcKey, srcSize, info, err) }()
	src, ok := b.lookup(srcKey)
	if !ok {
		return nil, fmt.Errorf("memstorage: copy %q to %q: %w", srcKey, dstKey, storage.ErrNotFound)
	}
	var o storage.CopyOptions
	if opts != nil {
		o = *opts
	}
	if o.SourceIfMatch != "" && !storage.ETagsEqual(o.SourceIfMatch, src.info.ETag) {
		return nil, fmt.Errorf("memstorage: copy %q to %q: %w: source ETag is not %s", srcKey, dstKey, storage.ErrPreconditionFailed, o.SourceIfMatch)
	}
	srcSize = src.info.Size
	if dstKey == srcKey && o.Replace == nil {
		// S3's 400 InvalidRequest, after the source's lookup and condition as in S3.
		return nil, fmt.Errorf("memstorage: copy %q: %w: copying an object to itself without changing its metadata", srcKey, storage.ErrInvalidArgument)
	}
	// The chunks are immutable, so the copy shares them: S3 copies without a download, and so
	// does this.
	dstInfo := src.info
	dstInfo.Key = dstKey
	dstInfo.Metadata = maps.Clone(src.info.Metadata)
	if strings.Contains(dstInfo.ETag, "-") {
		// S3 gives a copy made in one request a single-part ETag.
		var sum [16]byte
		h := md5.New()
		for _, c := range src.chunks {
			h.Write(c)
		}
		dstInfo.ETag = quoteETag(h.Sum(sum[:0]))
	}
	if r := o.Replace; r != nil {
		dstInfo.ContentType = contentType(r.ContentType)
		dstInfo.CacheControl = r.CacheControl
		dstInfo.Metadata = request.Metadata(r.Metadata)
	}
	dst := &object{info: dstInfo, chunks: src.chunks}
	var ifAbsent bool
	var ifMatch string
	if r := o.Replace; r != nil {
		ifAbsent, ifMatch = r.IfAbsent, r.IfMatch
	}
	return b.store(dstKey, dst, ifAbsent, ifMatch, eventCopy, principal)
}

// List implements storage.Bucket. A page costs O(log n + page size) whatever the bucket holds.
func (b *Bucket) List(ctx context.Context, opts *storage.ListOptions) (*storage.ListPage, error) {
	o, size, err := request.List(opts)
	if err != nil {
		return nil, fmt.Errorf("memstorage: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstorage: list: %w", err)
	}
	page, err := b.list(o, size)
	// S3 refuses a bad token in answer to a request it bills.
	b.report(ctx, storage.Call{Op: "ListObjectsV2", Failed: err != nil})
	return page, err
}

// list lists the page o asks for, of size entries at most.
func (b *Bucket) list(o storage.ListOptions, size int) (*storage.ListPage, error) {
	start := o.Prefix
	if o.PageToken != "" {
		// The token is the last key or common prefix listed, marked as one or the other.
		tok, err := base64.RawURLEncoding.DecodeString(o.PageToken)
		if err != nil || len(tok) == 0 || (tok[0] != 'k' && tok[0] != 'p') || !strings.HasPrefix(string(tok[1:]), o.Prefix) {
			return nil, fmt.Errorf("memstorage: list: %w: bad page token", storage.ErrInvalidArgument)
		}
		start = successor(string(tok[1:]), tok[0] == 'p')
	}
	page := &storage.ListPage{Objects: make([]storage.ObjectInfo, 0, min(size, 256))}
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := b.idx.seek(start)
	// Without a delimiter the listing ends at the first key past the prefix, found once, so the
	// walk need not read each key's bytes.
	var end *node
	if o.Prefix != "" {
		end = b.idx.seek(o.Prefix + "\xff")
	}
	count := 0
	// The token names the last entry listed: a key or a common prefix.
	var lastKey string
	lastIsPrefix := false
	for n != end {
		if count == size {
			marker := byte('k')
			if lastIsPrefix {
				marker = 'p'
			}
			page.NextPageToken = base64.RawURLEncoding.EncodeToString(append([]byte{marker}, lastKey...))
			break
		}
		if o.Delimiter != "" {
			if i := strings.Index(n.key[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := n.key[:len(o.Prefix)+i+len(o.Delimiter)]
				page.CommonPrefixes = append(page.CommonPrefixes, cp)
				count++
				lastKey, lastIsPrefix = cp, true
				n = b.idx.seek(successor(cp, true))
				continue
			}
		}
		info := &n.obj.info
		page.Objects = append(page.Objects, storage.ObjectInfo{
			Key: n.key, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified,
		})
		count++
		lastKey, lastIsPrefix = n.key, false
		n = n.next[0]
	}
	return page, nil
}

// successor returns the least key that sorts after last and, if last is a common prefix, after
// every key under it. No valid UTF-8 has the byte 0xff, so prefix+"\xff" sorts after every key
// that starts with prefix.
func successor(last string, isPrefix bool) string {
	if isPrefix {
		return last + "\xff"
	}
	return last + "\x00"
}
