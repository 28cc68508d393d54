package storagetest

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/storage"
)

// The flags of RunDifferential, for a longer run or the replay of one seed:
//
//	go test ./storage/awss3 -run Differential -storagetest.seeds=50 -storagetest.ops=2000
//	go test ./storage/awss3 -run Differential -storagetest.seed=7 -v
var (
	flagSeeds = flag.Int("storagetest.seeds", 0, "number of seeds RunDifferential runs (0: its options' or 5)")
	flagOps   = flag.Int("storagetest.ops", 0, "operations per seed in RunDifferential (0: its options' or 300)")
	flagSeed  = flag.Uint64("storagetest.seed", 0, "run RunDifferential on this one seed only (to replay a divergence)")
)

// DifferentialOptions controls RunDifferential. A nil *DifferentialOptions means the defaults
// of each field; the flags -storagetest.seeds, -storagetest.ops and -storagetest.seed override
// them.
type DifferentialOptions struct {
	// Seeds is how many seeds run, 1 to Seeds; 0 means 5.
	Seeds int
	// Ops is how many operations each seed applies; 0 means 300.
	Ops int
	// Seed, when not 0, runs this seed only.
	Seed uint64
	// Skip, when not nil, names a reason to leave an operation out on the target under test
	// (a known departure of that store from S3); the operation is then applied to neither
	// bucket. Describe is the operation as a divergence report prints it.
	Skip func(describe string) (reason string)
}

// RunDifferential applies seeded random sequences of operations over the whole storage.Bucket
// interface to a reference bucket and to the bucket under test, side by side, and compares
// them call by call: results, errors by sentinel, bodies, listing order and pages, and the
// pattern of ETag equalities (the two stores may compute different ETags, but two objects
// must have equal ETags in one store exactly when they do in the other). Keys include
// unicode, spaces, '+', '%', '?' and runs of '/'. Each seed is a subtest on new buckets from
// newRef and newUnder; on the first divergence the subtest fails with the seed, the
// operation's index, the operation and both results, and the flags that replay it. The
// operations avoid the Departures of the target under test. When both targets record their
// calls (Target.Calls), each operation must also report the same calls to S3 in both, as
// CallsOut compares them: metering a run on one store counts what the other would bill.
func RunDifferential(t *testing.T, newRef, newUnder func(t *testing.T) Target, opts *DifferentialOptions) {
	var o DifferentialOptions
	if opts != nil {
		o = *opts
	}
	if o.Seeds <= 0 {
		o.Seeds = 5
	}
	if o.Ops <= 0 {
		o.Ops = 300
	}
	if *flagSeeds > 0 {
		o.Seeds = *flagSeeds
	}
	if *flagOps > 0 {
		o.Ops = *flagOps
	}
	if *flagSeed != 0 {
		o.Seed = *flagSeed
	}
	seeds := make([]uint64, 0, o.Seeds)
	if o.Seed != 0 {
		seeds = append(seeds, o.Seed)
	} else {
		for i := range o.Seeds {
			seeds = append(seeds, uint64(i+1))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			under := newUnder(t)
			ref := newRef(t)
			keys := under.usable(nil, diffKeys)
			d := &differ{
				keys:  keys,
				t:     t,
				ref:   ref.Bucket,
				under: under.Bucket,
				dep:   under.Departures,
				rng:   rand.New(rand.NewPCG(seed, seed^0x5e7f00d5)),
				seed:  seed,
				ops:   o.Ops,
				skip:  o.Skip,
				etags: newETagClasses(),
				live:  map[string][2]string{},
			}
			if ref.Calls != nil && under.Calls != nil {
				d.refCalls, d.underCalls = ref.Calls, under.Calls
				ref.Calls.Take()
				under.Calls.Take()
			}
			d.run()
		})
	}
}

// diffKeys are the keys the operations pick from: awkward for URLs (spaces, '+', '%', '?',
// '#'), for listings (runs of '/', a key that is a prefix of others, one ending with '/'),
// and for UTF-8 order (combining marks, astral characters).
var diffKeys = []string{
	"a", "a/", "a/b", "a//b", "a///c/", "a/b/c", "a/b+c", "a b", "a b/c",
	"dir/ü", "dir/e\u0301", "dir/é", "dir/😀", "dir/Z", "dir/~",
	"q", "q?x=1", "q?", "?", "p%2Fq", "p%q", "p%25", "#frag", "+",
	"//lead", "//lead//", "trail/", "z/✓/x",
}

// diffPrefixes are the prefixes listings use.
var diffPrefixes = []string{"", "", "a", "a/", "a//", "dir/", "q", "q?", "p%", "//", "z/", "nothing", "a b"}

// diffDelimiters are the delimiters listings use.
var diffDelimiters = []string{"", "", "/", "/", "//", "?", "b"}

// bogusETag is an ETag no body of the run has: the operations' bodies are short strings of
// "ab", whose MD5s are not all f.
const bogusETag = `"ffffffffffffffffffffffffffffffff"`

// emptyMD5 is the MD5 of no bytes, the ETag of an empty object written in one request.
const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

// differ runs one seed.
type differ struct {
	t          *testing.T
	ref, under storage.Bucket
	rng        *rand.Rand
	seed       uint64
	ops        int
	skip       func(string) string
	etags      *etagClasses
	i          int // the operation being applied
	// live holds the keys that hold an object, with its ETag in each store.
	live map[string][2]string
	// dep are the departures from S3 of the store under test, which the operations avoid.
	dep *Departures
	// keys are the keys of diffKeys the store under test takes as S3 does.
	keys []string
	// refCalls and underCalls record the stores' calls, when both do.
	refCalls, underCalls *Calls
}

// departs reports whether the store under test departs from S3 for key (or prefix).
func (d *differ) departs(key string) bool {
	return d.dep != nil && d.dep.Key != nil && d.dep.Key(key) != ""
}

// outcome is what one call returned. Before two outcomes are compared, their ETags are
// replaced by their classes (see etagClasses).
type outcome struct {
	Err    string // the sentinel the error wraps, "" for none
	Info   *infoOut
	Body   string
	Offset int64
	Length int64
	Pages  []pageOut
	// Calls are the calls the store reported for the operation.
	Calls []CallOut
}

type infoOut struct {
	Key          string
	Size         int64
	ETag         string
	ContentType  string
	CacheControl string
	Metadata     map[string]string
}

type pageOut struct {
	Objects  []listedOut
	Prefixes []string
	More     bool
}

type listedOut struct {
	Key  string
	Size int64
	ETag string
}

// errClass names the sentinel err wraps; an error that wraps none is reported whole, so that
// it shows as a divergence.
func errClass(err error) string {
	if err == nil {
		return ""
	}
	for _, s := range []error{
		storage.ErrNotFound, storage.ErrPreconditionFailed, storage.ErrInvalidKey, storage.ErrAccessDenied,
		storage.ErrTooLarge, storage.ErrInvalidRange, storage.ErrInvalidArgument,
	} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "unexpected error: " + err.Error()
}

// etagClasses numbers ETags so that two stores' ETags can be compared by their equality
// pattern: an ETag gets the number of the first ETag it equals in its store, and the stores
// agree when the same calls see the same numbers.
type etagClasses struct {
	ref, under map[string]int
	// byClass holds each class's ETag in each store, to send as a condition.
	byClass []struct{ ref, under string }
}

func newETagClasses() *etagClasses {
	return &etagClasses{ref: map[string]int{}, under: map[string]int{}}
}

// pair classifies the ETags two stores returned for one call, returning the class of each:
// equal unless the stores' equality patterns differ.
func (e *etagClasses) pair(ref, under string) (int, int) {
	ref, under = strings.Trim(ref, `"`), strings.Trim(under, `"`)
	rc, rok := e.ref[ref]
	uc, uok := e.under[under]
	switch {
	case rok && uok:
		return rc, uc
	case rok:
		// The reference has seen this ETag, the store under test not: a new class there.
		uc = len(e.byClass)
		e.byClass = append(e.byClass, struct{ ref, under string }{"", under})
		e.under[under] = uc
		return rc, uc
	case uok:
		rc = len(e.byClass)
		e.byClass = append(e.byClass, struct{ ref, under string }{ref, ""})
		e.ref[ref] = rc
		return rc, uc
	}
	c := len(e.byClass)
	e.byClass = append(e.byClass, struct{ ref, under string }{ref, under})
	e.ref[ref], e.under[under] = c, c
	return c, c
}

// pickETag returns an ETag for a condition on key in each store: the current object's,
// one seen so far, or one no object has; quoted or not.
func (d *differ) pickETag(key string) (ref, under string) {
	cur, live := d.live[key]
	switch n := d.rng.IntN(10); {
	case n < 5 && live:
		ref, under = cur[0], cur[1]
	case n < 8 && len(d.etags.byClass) > 0:
		c := d.etags.byClass[d.rng.IntN(len(d.etags.byClass))]
		if c.ref == "" || c.under == "" {
			return bogusETag, bogusETag
		}
		ref, under = c.ref, c.under
	default:
		return bogusETag, bogusETag
	}
	ref, under = strings.Trim(ref, `"`), strings.Trim(under, `"`)
	if d.rng.IntN(4) == 0 {
		return ref, under
	}
	return `"` + ref + `"`, `"` + under + `"`
}

// key returns a key: most often one that holds an object, else any of diffKeys, and now and
// then an invalid one.
func (d *differ) key() string {
	if len(d.live) > 0 && d.rng.IntN(2) == 0 {
		keys := slices.Sorted(maps.Keys(d.live))
		return keys[d.rng.IntN(len(keys))]
	}
	for {
		var k string
		switch d.rng.IntN(60) {
		case 0:
			k = "" // invalid
		case 1:
			k = strings.Repeat("k", storage.MaxKeyLength+1) // invalid
		case 2:
			k = strings.Repeat("é", storage.MaxKeyLength/2) // the longest valid key
		default:
			k = d.keys[d.rng.IntN(len(d.keys))]
		}
		if !d.departs(k) {
			return k
		}
	}
}

// body returns a short body of 'a' and 'b', so equal bodies (and ETags) recur.
func (d *differ) body() []byte {
	n := d.rng.IntN(12)
	if d.rng.IntN(8) == 0 {
		n = 0
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = "ab"[d.rng.IntN(2)]
	}
	return b
}

func (d *differ) putOptions() *storage.PutOptions {
	if d.rng.IntN(4) == 0 {
		return nil
	}
	o := &storage.PutOptions{}
	o.ContentType = []string{"", "text/plain", "application/json", "video/mp4"}[d.rng.IntN(4)]
	o.CacheControl = []string{"", "", "max-age=60", "no-cache"}[d.rng.IntN(4)]
	switch d.rng.IntN(4) {
	case 0:
		o.Metadata = map[string]string{"a": "1"}
	case 1:
		o.Metadata = map[string]string{"Mixed-Case": "v", "b": "two words"}
	}
	return o
}

// op is one operation, applied to each bucket in turn.
type op struct {
	describe string
	apply    func(b storage.Bucket, ref bool) outcome
	// writes and deletes name the key the operation changes when it succeeds.
	writes, deletes string
}

func (d *differ) run() {
	tally := map[string]int{}
	for d.i = 0; d.i < d.ops; d.i++ {
		o := d.next()
		if d.skip != nil {
			if reason := d.skip(o.describe); reason != "" {
				d.t.Logf("op %d: %s: skipped: %s", d.i, o.describe, reason)
				continue
			}
		}
		ref := o.apply(d.ref, true)
		under := o.apply(d.under, false)
		if d.refCalls != nil {
			ref.Calls, under.Calls = CallsOut(d.refCalls.Take()), CallsOut(d.underCalls.Take())
		}
		switch {
		case ref.Err != "" || under.Err != "":
		case o.writes != "" && ref.Info != nil && under.Info != nil:
			d.live[o.writes] = [2]string{ref.Info.ETag, under.Info.ETag}
		case o.deletes != "":
			delete(d.live, o.deletes)
		}
		d.compare(o.describe, &ref, &under)
		if d.t.Failed() {
			return
		}
		name, _, _ := strings.Cut(o.describe, "(")
		tally[name+" "+cmp.Or(ref.Err, "ok")]++
	}
	keys := slices.Sorted(maps.Keys(tally))
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n\t%5d %s", tally[k], k)
	}
	d.t.Logf("%d operations agreed:%s", d.ops, sb.String())
}

// compare turns both outcomes' ETags into classes and reports a divergence.
func (d *differ) compare(describe string, ref, under *outcome) {
	if ref.Info != nil && under.Info != nil {
		d.classify(&ref.Info.ETag, &under.Info.ETag)
	}
	for i := range min(len(ref.Pages), len(under.Pages)) {
		rp, up := &ref.Pages[i], &under.Pages[i]
		for j := range min(len(rp.Objects), len(up.Objects)) {
			d.classify(&rp.Objects[j].ETag, &up.Objects[j].ETag)
		}
	}
	if diff := gocmp.Diff(*ref, *under, cmpopts.EquateEmpty()); diff != "" {
		d.t.Fatalf("storagetest: divergence at seed %d, operation %d: %s\n(-reference +under test):\n%s\n"+
			"replay with: -run '%s' -storagetest.seed=%d -storagetest.ops=%d",
			d.seed, d.i, describe, diff, d.t.Name(), d.seed, d.i+1)
	}
}

// classify replaces the ETags two stores returned for one call by their classes.
func (d *differ) classify(ref, under *string) {
	rc, uc := d.etags.pair(*ref, *under)
	*ref, *under = fmt.Sprintf("ETag #%d", rc), fmt.Sprintf("ETag #%d", uc)
}

func infoOf(i *storage.ObjectInfo) *infoOut {
	if i == nil {
		return nil
	}
	return &infoOut{Key: i.Key, Size: i.Size, ETag: i.ETag, ContentType: i.ContentType, CacheControl: i.CacheControl, Metadata: i.Metadata}
}

// unknownLength hides every interface of a reader but io.Reader.
type unknownLength struct{ r io.Reader }

func (u unknownLength) Read(p []byte) (int, error) { return u.r.Read(p) }

func (d *differ) next() op {
	ctx := d.t.Context()
	switch n := d.rng.IntN(100); {
	case n < 30: // Put
		key, body, o := d.key(), d.body(), d.putOptions()
		streamed := d.rng.IntN(3) == 0
		var refMatch, underMatch string
		if o != nil {
			switch d.rng.IntN(6) {
			case 0:
				o.IfAbsent = true
			case 1, 2:
				refMatch, underMatch = d.pickETag(key)
			}
		}
		desc := fmt.Sprintf("Put(%q, %q, streamed=%v, %s)", key, body, streamed, describePut(o, refMatch, underMatch))
		return op{desc, func(b storage.Bucket, ref bool) outcome {
			var r io.Reader = bytes.NewReader(body)
			if streamed {
				r = unknownLength{r}
			}
			oo := withMatch(o, refMatch, underMatch, ref)
			info, err := b.Put(ctx, key, r, oo)
			return outcome{Err: errClass(err), Info: infoOf(info)}
		}, key, ""}
	case n < 55: // Get
		key := d.key()
		var rng *storage.Range
		switch d.rng.IntN(10) {
		case 0, 1, 2:
		case 3:
			rng = storage.ByteRange(int64(d.rng.IntN(14)), int64(1+d.rng.IntN(6)))
		case 4:
			rng = storage.FromOffset(int64(d.rng.IntN(14)))
		case 5:
			rng = storage.LastBytes(int64(1 + d.rng.IntN(14)))
		case 6:
			rng = storage.ByteRange(int64(d.rng.IntN(3)), math.MaxInt64-int64(d.rng.IntN(2)))
		case 7:
			rng = []*storage.Range{{Offset: -1}, {Length: -2}, {Last: -1}, {Last: 1, Offset: 2}, {Last: 3, Length: 1}}[d.rng.IntN(5)]
		default:
			rng = storage.ByteRange(int64(d.rng.IntN(4)), int64(d.rng.IntN(3)))
		}
		rangesDepart := d.dep != nil && d.dep.Ranges != ""
		if cur, ok := d.live[key]; rangesDepart && ok && strings.Trim(cur[0], `"`) == emptyMD5 {
			rng = nil
		}
		var refMatch, underMatch string
		if d.rng.IntN(4) == 0 && (rng == nil || !rangesDepart) {
			refMatch, underMatch = d.pickETag(key)
		}
		desc := fmt.Sprintf("Get(%q, range %s, IfMatch %s)", key, describeRange(rng), describeMatch(refMatch, underMatch))
		return op{desc, func(b storage.Bucket, ref bool) outcome {
			o := &storage.GetOptions{Range: rng, IfMatch: underMatch}
			if ref {
				o.IfMatch = refMatch
			}
			obj, err := b.Get(ctx, key, o)
			if err != nil {
				return outcome{Err: errClass(err)}
			}
			defer obj.Close()
			data, err := io.ReadAll(obj)
			if err != nil {
				return outcome{Err: "reading the body: " + err.Error()}
			}
			return outcome{Info: infoOf(&obj.Info), Body: string(data), Offset: obj.Offset, Length: obj.Length}
		}, "", ""}
	case n < 65: // Head
		key := d.key()
		return op{fmt.Sprintf("Head(%q)", key), func(b storage.Bucket, _ bool) outcome {
			info, err := b.Head(ctx, key)
			return outcome{Err: errClass(err), Info: infoOf(info)}
		}, "", ""}
	case n < 75: // Delete
		key := d.key()
		return op{fmt.Sprintf("Delete(%q)", key), func(b storage.Bucket, _ bool) outcome {
			return outcome{Err: errClass(b.Delete(ctx, key))}
		}, "", key}
	case n < 88: // Copy
		dst, src := d.key(), d.key()
		if d.rng.IntN(8) == 0 {
			dst = src
		}
		var o *storage.CopyOptions
		var refSrc, underSrc, refMatch, underMatch string
		if d.rng.IntN(3) > 0 {
			o = &storage.CopyOptions{}
			if d.rng.IntN(3) == 0 {
				refSrc, underSrc = d.pickETag(src)
			}
			if d.rng.IntN(2) == 0 {
				o.Replace = d.putOptions()
				if o.Replace == nil {
					o.Replace = &storage.PutOptions{}
				}
				n := d.rng.IntN(5)
				if d.dep != nil && d.dep.CopyConditions != "" {
					n = 4 // the store under test ignores them
				}
				switch n {
				case 0:
					o.Replace.IfAbsent = true
				case 1, 2:
					refMatch, underMatch = d.pickETag(dst)
				}
			}
		}
		desc := fmt.Sprintf("Copy(%q, %q, %s)", dst, src, describeCopy(o, refSrc, underSrc, refMatch, underMatch))
		return op{desc, func(b storage.Bucket, ref bool) outcome {
			var oo *storage.CopyOptions
			if o != nil {
				c := *o
				c.SourceIfMatch = underSrc
				if ref {
					c.SourceIfMatch = refSrc
				}
				c.Replace = withMatch(o.Replace, refMatch, underMatch, ref)
				oo = &c
			}
			info, err := b.Copy(ctx, dst, src, oo)
			return outcome{Err: errClass(err), Info: infoOf(info)}
		}, dst, ""}
	default: // List, every page
		prefix := diffPrefixes[d.rng.IntN(len(diffPrefixes))]
		for d.departs(prefix) {
			prefix = diffPrefixes[d.rng.IntN(len(diffPrefixes))]
		}
		lo := storage.ListOptions{
			Prefix:    prefix,
			Delimiter: diffDelimiters[d.rng.IntN(len(diffDelimiters))],
			PageSize:  []int{0, 1, 2, 3, 5, -1, storage.MaxPageSize + 1}[d.rng.IntN(7)],
		}
		if lo.PageSize < 0 || lo.PageSize > storage.MaxPageSize {
			if d.rng.IntN(3) > 0 {
				lo.PageSize = 1 // keep invalid sizes rare
			}
		}
		if d.dep != nil && d.dep.ListPaging != "" && lo.PageSize > 0 && lo.PageSize <= storage.MaxPageSize {
			lo.PageSize = 0 // one page: the store under test pages wrongly
		}
		desc := fmt.Sprintf("List(prefix %q, delimiter %q, page size %d)", lo.Prefix, lo.Delimiter, lo.PageSize)
		return op{desc, func(b storage.Bucket, _ bool) outcome {
			var out outcome
			o := lo
			for range 200 {
				page, err := b.List(ctx, &o)
				if err != nil {
					out.Err = errClass(err)
					return out
				}
				p := pageOut{Prefixes: page.CommonPrefixes, More: page.NextPageToken != ""}
				for _, obj := range page.Objects {
					p.Objects = append(p.Objects, listedOut{Key: obj.Key, Size: obj.Size, ETag: obj.ETag})
				}
				out.Pages = append(out.Pages, p)
				if page.NextPageToken == "" {
					return out
				}
				o.PageToken = page.NextPageToken
			}
			out.Err = "more than 200 pages"
			return out
		}, "", ""}
	}
}

// withMatch returns a copy of o with the IfMatch of the store (nil stays nil).
func withMatch(o *storage.PutOptions, refMatch, underMatch string, ref bool) *storage.PutOptions {
	if o == nil {
		return nil
	}
	c := *o
	c.IfMatch = underMatch
	if ref {
		c.IfMatch = refMatch
	}
	return &c
}

func describeMatch(ref, under string) string {
	switch {
	case ref == "":
		return "none"
	case ref == bogusETag:
		return "of no object"
	case ref == under:
		return ref
	}
	return ref + " (" + under + " under test)"
}

func describePut(o *storage.PutOptions, refMatch, underMatch string) string {
	if o == nil {
		return "nil"
	}
	s := fmt.Sprintf("{ContentType %q CacheControl %q Metadata %v", o.ContentType, o.CacheControl, o.Metadata)
	if o.IfAbsent {
		s += " IfAbsent"
	}
	if refMatch != "" {
		s += " IfMatch " + describeMatch(refMatch, underMatch)
	}
	return s + "}"
}

func describeCopy(o *storage.CopyOptions, refSrc, underSrc, refMatch, underMatch string) string {
	if o == nil {
		return "nil"
	}
	var parts []string
	if refSrc != "" {
		parts = append(parts, "SourceIfMatch "+describeMatch(refSrc, underSrc))
	}
	if o.Replace != nil {
		parts = append(parts, "Replace "+describePut(o.Replace, refMatch, underMatch))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func describeRange(r *storage.Range) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%+v", *r)
}
