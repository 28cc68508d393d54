package storagetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/storage"
)

func TestCallsOut(t *testing.T) {
	part := func(failed bool) storage.Call {
		return storage.Call{Bucket: "b", Op: "UploadPart", Key: "k", Failed: failed}
	}
	got := CallsOut([]storage.Call{
		{Bucket: "b", Op: "CreateMultipartUpload", Key: "k"},
		part(true), part(false), part(true), part(false),
		{Bucket: "b", Op: "AbortMultipartUpload", Key: "k"},
		{Bucket: "b", Op: "GetObject", Key: "z", Bytes: 3},
		{Bucket: "b", Op: "GetObject", Key: "a", Failed: true},
	})
	want := []CallOut{
		{Op: "CreateMultipartUpload", Key: "k"},
		{Op: "UploadPart", Key: "k"}, {Op: "UploadPart", Key: "k"},
		{Op: "UploadPart", Key: "k", Failed: true}, {Op: "UploadPart", Key: "k", Failed: true},
		{Op: "AbortMultipartUpload", Key: "k"},
		// Requests sent one after the other keep their order.
		{Op: "GetObject", Key: "z", Bytes: 3},
		{Op: "GetObject", Key: "a", Failed: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CallsOut (-want +got):\n%s", diff)
	}
}
