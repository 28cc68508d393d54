package awss3_test

import (
	"testing"

	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/storage/storagetest"
)

// memTarget is the differential runs' reference: the in-memory adapter, recording the calls it
// reports, which must be those awss3 reports.
func memTarget(t *testing.T) storagetest.Target {
	calls := &storagetest.Calls{}
	return storagetest.Target{Bucket: memstorage.New("reference", &memstorage.Options{OnCall: calls.Record}), Calls: calls}
}

func TestDifferential(t *testing.T) {
	srv := storagetest.NewS3Server(t, nil)
	storagetest.RunDifferential(t, memTarget, func(t *testing.T) storagetest.Target {
		calls := &storagetest.Calls{}
		b := awss3.New(srv.Client(), srv.NewBucket(t), &awss3.Options{OnCall: calls.Record})
		return storagetest.Target{Bucket: b, HTTPClient: srv.HTTPClient(), Calls: calls}
	}, nil)
}
