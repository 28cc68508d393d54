package cost_test

import (
	"context"
	"testing"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
)

// Metering one call: a GET, the commonest S3 call, which touches only its counter.
func BenchmarkStorageCallGet(b *testing.B) {
	m := cost.NewMeter(nil)
	ctx := context.Background()
	c := storage.Call{Bucket: "media", Op: "GetObject", Key: "videos/v1/cat-720p.mp4", Bytes: 1 << 20}
	m.StorageCall(ctx, c)
	b.ReportAllocs()
	for b.Loop() {
		m.StorageCall(ctx, c)
	}
}

// A PUT of a key already stored: the request counter and the bucket's size map.
func BenchmarkStorageCallPut(b *testing.B) {
	m := cost.NewMeter(nil)
	ctx := context.Background()
	c := storage.Call{Bucket: "media", Op: "PutObject", Key: "videos/v1/cat-720p.mp4", Size: 1 << 20}
	m.StorageCall(ctx, c)
	b.ReportAllocs()
	for b.Loop() {
		m.StorageCall(ctx, c)
	}
}

// A PUT that changes a stored key's size: the size map and a read of the meter's clock, to
// integrate the bucket's bytes.
func BenchmarkStorageCallPutResize(b *testing.B) {
	m := cost.NewMeter(nil)
	ctx := context.Background()
	c := storage.Call{Bucket: "media", Op: "PutObject", Key: "videos/v1/cat-720p.mp4", Size: 1 << 20}
	m.StorageCall(ctx, c)
	b.ReportAllocs()
	for b.Loop() {
		c.Size ^= 1
		m.StorageCall(ctx, c)
	}
}

func BenchmarkTableCall(b *testing.B) {
	m := cost.NewMeter(nil)
	ctx := context.Background()
	c := table.Call{Table: "videos", Op: "UpdateItem", ReadUnits: 1, WriteUnits: 1}
	m.TableCall(ctx, c)
	b.ReportAllocs()
	for b.Loop() {
		m.TableCall(ctx, c)
	}
}

// Metering from every processor at once, on one counter: the contended case.
func BenchmarkTableCallParallel(b *testing.B) {
	m := cost.NewMeter(nil)
	ctx := context.Background()
	c := table.Call{Table: "videos", Op: "GetItem", ReadUnits: 0.5}
	m.TableCall(ctx, c)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.TableCall(ctx, c)
		}
	})
}
