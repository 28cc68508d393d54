package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/storage"
)

// awkwardKeys are listed with and without a delimiter, across page boundaries.
var awkwardKeys = []string{
	"a", "a/", "a/b", "a//c", "a/b/c", "a b", "a+b", "a%2Fb", "a%b", "ab",
	"z/ü", "z/ü/x", "z/✓", "z/😀", "z/Z", "z/é", "z/e\u0301",
	"p/q", "p/q/", "p/qr", "p/q/r/s",
	"~tilde", "(paren)", "semi;colon", "quote'd", "star*", "#hash", "?query", "&amp",
}

// expectedListing computes what S3 lists for keys with prefix and delimiter.
func expectedListing(keys []string, prefix, delim string) (objects, prefixes []string) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	seen := map[string]bool{}
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					prefixes = append(prefixes, cp)
				}
				continue
			}
		}
		objects = append(objects, k)
	}
	return objects, prefixes
}

func testListAwkwardKeys(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	keys := tg.usable(t, awkwardKeys)
	if tg.Departures != nil && tg.Departures.ListPaging != "" {
		t.Logf("listing in pages of 1000 only: %s", tg.Departures.ListPaging)
	}
	for _, k := range keys {
		mustPut(t, b, k, "body of "+k, nil)
	}
	for _, prefix := range []string{"", "a", "a/", "z/", "p/q", "p/q/", "nothing"} {
		for _, delim := range []string{"", "/"} {
			wantObjs, wantPrefixes := expectedListing(keys, prefix, delim)
			sizes := []int{1, 2, 3, 1000}
			if tg.Departures != nil && tg.Departures.ListPaging != "" {
				sizes = sizes[3:]
			}
			for _, size := range sizes {
				var gotObjs, gotPrefixes []string
				opts := &storage.ListOptions{Prefix: prefix, Delimiter: delim, PageSize: size}
				pages := 0
				for page, err := range storage.Pages(ctx, b, opts) {
					if err != nil {
						t.Fatalf("prefix %q delim %q size %d: %v", prefix, delim, size, err)
					}
					pages++
					if n := len(page.Objects) + len(page.CommonPrefixes); n > size {
						t.Errorf("page of %d entries, want at most %d", n, size)
					}
					for _, o := range page.Objects {
						gotObjs = append(gotObjs, o.Key)
						if want := md5ETag([]byte("body of " + o.Key)); o.ETag != want || o.Size != int64(len("body of "+o.Key)) {
							t.Errorf("listed %q with ETag %s size %d, want %s %d", o.Key, o.ETag, o.Size, want, len("body of "+o.Key))
						}
					}
					gotPrefixes = append(gotPrefixes, page.CommonPrefixes...)
				}
				if diff := cmp.Diff(wantObjs, gotObjs, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("prefix %q delim %q page size %d: objects (-want +got):\n%s", prefix, delim, size, diff)
				}
				if diff := cmp.Diff(wantPrefixes, gotPrefixes, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("prefix %q delim %q page size %d: common prefixes (-want +got):\n%s", prefix, delim, size, diff)
				}
				if n := len(wantObjs) + len(wantPrefixes); size == 1 && n > 0 && pages != n {
					t.Errorf("prefix %q delim %q: %d pages of 1, want %d", prefix, delim, pages, n)
				}
			}
		}
	}
}

func testListIterators(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("it/%03d", i)
		want = append(want, k)
		mustPut(t, b, k, "x", nil)
	}
	mustPut(t, b, "other", "x", nil)
	var got []string
	for o, err := range storage.Objects(ctx, b, &storage.ListOptions{Prefix: "it/", PageSize: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
		if len(got) == 20 {
			break // stopping early must be safe
		}
	}
	if diff := cmp.Diff(want[:20], got); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
	// Resuming from a page token continues where the page ended.
	page, err := b.List(ctx, &storage.ListOptions{Prefix: "it/", PageSize: 10})
	if err != nil || page.NextPageToken == "" || len(page.Objects) != 10 {
		t.Fatalf("List first page: %d objects, token %q, %v", len(page.Objects), page.NextPageToken, err)
	}
	page, err = b.List(ctx, &storage.ListOptions{Prefix: "it/", PageSize: 100, PageToken: page.NextPageToken})
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for _, o := range page.Objects {
		rest = append(rest, o.Key)
	}
	if diff := cmp.Diff(want[10:], rest); diff != "" || page.NextPageToken != "" {
		t.Errorf("List from token (-want +got):\n%s, next token %q", diff, page.NextPageToken)
	}
	// An empty bucket prefix lists one empty page.
	page, err = b.List(ctx, &storage.ListOptions{Prefix: "none/"})
	if err != nil || len(page.Objects) != 0 || len(page.CommonPrefixes) != 0 || page.NextPageToken != "" {
		t.Errorf("List(none/) = %+v, %v", page, err)
	}
}

func testListBadOptions(t *testing.T, tg Target) {
	for _, size := range []int{-1, storage.MaxPageSize + 1} {
		_, err := tg.Bucket.List(t.Context(), &storage.ListOptions{PageSize: size})
		wantErr(t, fmt.Sprintf("List(PageSize %d)", size), err, storage.ErrInvalidArgument)
	}
}
