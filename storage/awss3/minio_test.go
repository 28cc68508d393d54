package awss3_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/storagetest"
)

// One MinIO serves every test of the binary, each with buckets of its own.
var (
	minioOnce sync.Once
	minioSrv  *storagetest.MinIO
	minioErr  error
)

// sharedMinIO starts the binary's MinIO on first use; without minio the test skips, or fails
// when SERVOUS_REQUIRE_PEERS=1.
func sharedMinIO(t *testing.T) *storagetest.MinIO {
	t.Helper()
	minioOnce.Do(func() { minioSrv, minioErr = storagetest.LaunchMinIO(context.Background()) })
	if errors.Is(minioErr, storagetest.ErrNoMinIO) {
		storagetest.SkipOrFail(t, minioErr.Error())
	}
	if minioErr != nil {
		t.Fatal(minioErr)
	}
	return minioSrv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if minioSrv != nil {
		minioSrv.Close()
	}
	os.Exit(code)
}

// minioTarget is a new bucket on the shared MinIO. MinIO runs on the machine's clock and has
// no per-user prefix policies of ours, so the target has neither Advance nor User.
func minioTarget(t *testing.T) storagetest.Target {
	mio := sharedMinIO(t)
	calls := &storagetest.Calls{}
	b := awss3.New(mio.Client(), mio.NewBucket(t), &awss3.Options{OnCall: calls.Record})
	return storagetest.Target{Bucket: b, Departures: storagetest.MinIODepartures, Calls: calls}
}

func TestConformanceMinIO(t *testing.T) {
	sharedMinIO(t)
	storagetest.RunBucketTests(t, minioTarget)
}

func TestDifferentialMinIO(t *testing.T) {
	sharedMinIO(t)
	storagetest.RunDifferential(t, memTarget, minioTarget, nil)
}
