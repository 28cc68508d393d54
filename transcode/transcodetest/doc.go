// Package transcodetest provides the conformance suite every transcode.Transcoder passes, and
// an in-process server speaking AWS Elemental MediaConvert's API for tests of code that uses
// the MediaConvert client.
//
// # The suite
//
// RunTranscoderTests runs every behaviour of the contract as subtests, each on a new Target,
// as storagetest's suite does: jobs that complete with the sizes the sizing rules give and
// outputs that are really in the bucket, one completion event per job carrying the user
// metadata (and decoding with transcode.DecodeEvent to what Get says), idempotency tokens,
// invalid jobs refused at Submit, bad inputs (truncated, text, empty, a photo, audio alone,
// missing, keys S3 refuses) ending in ERROR with MediaConvert's error code and no output left
// behind, a real clip in each input container MediaConvert reads video from, a phone's rotated
// video sized upright, cancellation, and 20 jobs submitted at once.
//
// # The MediaConvert server
//
// NewMediaConvert starts a server for CreateJob, GetJob and CancelJob that validates settings
// as the service does and emits "MediaConvert Job State Change" events. Jobs either run by
// themselves on storage buckets or are moved by the test (Start, Progress, Complete, Fail).
//
// # The clip
//
// Clip returns a real one-second 320×240 H.264/AAC MP4 (moov first), for inputs.
package transcodetest
