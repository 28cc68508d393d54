package awss3_test

import (
	"testing"

	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/storage/storagetest"
)

// memTarget is the differential runs' reference: the in-memory adapter.
func memTarget(t *testing.T) storagetest.Target {
	return storagetest.Target{Bucket: memstorage.New("reference", nil)}
}

func TestDifferential(t *testing.T) {
	srv := storagetest.NewS3Server(t, nil)
	storagetest.RunDifferential(t, memTarget, func(t *testing.T) storagetest.Target {
		return storagetest.Target{Bucket: awss3.New(srv.Client(), srv.NewBucket(t), nil), HTTPClient: srv.HTTPClient()}
	}, nil)
}
