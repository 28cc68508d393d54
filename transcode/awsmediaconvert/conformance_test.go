package awsmediaconvert_test

import (
	"testing"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
	"github.com/servous/servous/transcode/transcodetest"
)

func TestConformance(t *testing.T) {
	transcodetest.RunTranscoderTests(t, func(t *testing.T) transcodetest.Target {
		return transcodetest.Target{
			NewBucket: func(t *testing.T) storage.Bucket { return memstorage.New("bucket", nil) },
			NewTranscoder: func(t *testing.T, env transcodetest.Env) transcode.Transcoder {
				srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{
					Region:    "us-west-2",
					Publisher: env.Publisher,
					Buckets:   env.Buckets,
				})
				t.Cleanup(srv.Close)
				return awsmediaconvert.New(newClient(t, srv.URL), role, nil)
			},
		}
	})
}
