package storagebench_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// The benchmarks compare memstorage with gocloud.dev's memblob, measured in the same run, and
// the 64 MiB round trip with its floor, one MD5 pass over the body.

const manyKeys = 1_000_000

func keyOf(i int) string { return fmt.Sprintf("dir%02d/obj%07d", i%100, i) }

func BenchmarkList1000Of1M(b *testing.B) {
	ctx := context.Background()
	mem := memstorage.New("bench", nil)
	mb := memblob.OpenBucket(nil)
	b.Cleanup(func() { mb.Close() })
	for i := range manyKeys {
		k := keyOf(i)
		if _, err := storage.PutBytes(ctx, mem, k, nil, nil); err != nil {
			b.Fatal(err)
		}
		if err := mb.WriteAll(ctx, k, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("memstorage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page, err := mem.List(ctx, &storage.ListOptions{Prefix: "dir42/"})
			if err != nil || len(page.Objects) != 1000 {
				b.Fatalf("%d objects, %v", len(page.Objects), err)
			}
		}
	})
	b.Run("memblob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			objs, _, err := mb.ListPage(ctx, blob.FirstPageToken, 1000, &blob.ListOptions{Prefix: "dir42/"})
			if err != nil || len(objs) != 1000 {
				b.Fatalf("%d objects, %v", len(objs), err)
			}
		}
	})
}

func BenchmarkPutGet1KiB(b *testing.B) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("x"), 1<<10)
	mem := memstorage.New("bench", nil)
	mb := memblob.OpenBucket(nil)
	b.Cleanup(func() { mb.Close() })
	b.Run("Put/memstorage", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := mem.Put(ctx, "k", bytes.NewReader(data), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Put/memblob", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if err := mb.Upload(ctx, "k", bytes.NewReader(data), &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	buf := make([]byte, 2<<10)
	b.Run("Get/memstorage", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			obj, err := mem.Get(ctx, "k", nil)
			if err != nil {
				b.Fatal(err)
			}
			if n, _ := io.ReadFull(obj, buf[:len(data)]); n != len(data) {
				b.Fatal(n)
			}
			obj.Close()
		}
	})
	b.Run("Get/memblob", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r, err := mb.NewReader(ctx, "k", nil)
			if err != nil {
				b.Fatal(err)
			}
			if n, _ := io.ReadFull(r, buf[:len(data)]); n != len(data) {
				b.Fatal(n)
			}
			r.Close()
		}
	})
}

// BenchmarkPutGet64MiB writes 64 MiB and reads it back; the MD5 sub-benchmark is the floor the
// ETag sets.
func BenchmarkPutGet64MiB(b *testing.B) {
	ctx := context.Background()
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 31)
	}
	b.Run("MD5", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			md5.Sum(data)
		}
	})
	mem := memstorage.New("bench", nil)
	b.Run("memstorage", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := mem.Put(ctx, "big", bytes.NewReader(data), nil); err != nil {
				b.Fatal(err)
			}
			obj, err := mem.Get(ctx, "big", nil)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, obj.Body)
			obj.Close()
		}
	})
	mb := memblob.OpenBucket(nil)
	b.Cleanup(func() { mb.Close() })
	b.Run("memblob", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if err := mb.Upload(ctx, "big", bytes.NewReader(data), &blob.WriterOptions{ContentType: "application/octet-stream"}); err != nil {
				b.Fatal(err)
			}
			r, err := mb.NewReader(ctx, "big", nil)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, r)
			r.Close()
		}
	})
}
