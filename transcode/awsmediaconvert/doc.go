// Package awsmediaconvert provides a transcode.Transcoder on AWS Elemental MediaConvert.
//
// # Jobs
//
// Submit calls CreateJob with settings built from the job ([Settings] shows them): one
// FILE_GROUP output group writing to s3://<output bucket>/<prefix>, one MP4 output per
// rendition (H.264 and AAC, the rendition's name as the name modifier, the moov box up front
// for progressive download) and, for a thumbnail, a frame capture output taking one JPEG of
// the first frame. The input's video selector sets Rotate to AUTO, so a phone's video, whose
// rotation is only metadata, comes out upright, as from the ffmpeg adapter; MediaConvert's
// default ignores that metadata. The role is the IAM role MediaConvert assumes to read the
// input and write the outputs; the queue is the account's Default queue unless Options.Queue
// names another.
// Job.IdempotencyToken becomes the ClientRequestToken, which MediaConvert honours for one
// minute; without a token the SDK sends a random one, so its own retries stay idempotent.
//
// A rendition with only a quality is encoded with QVBR, which MediaConvert requires to have a
// maximum bitrate: the adapter derives one from the target size (about 0.15 bits per pixel at
// 30 frames per second).
//
// # Endpoint
//
// MediaConvert serves its API on the regional endpoint mediaconvert.<region>.amazonaws.com
// (older accounts used per-account endpoints found with DescribeEndpoints). Build the client
// with the region, or set BaseEndpoint; tests point BaseEndpoint at transcodetest's server.
//
// # Events
//
// MediaConvert itself publishes "MediaConvert Job State Change" events to EventBridge; route
// them to a function with a rule and decode them with transcode.DecodeEvent, which gives every
// status MediaConvert sends a transcode.State, the in-flight ones included. MediaConvert does
// not report output sizes, so Output.Size is 0 in every Status this package returns.
//
// # Errors
//
// NotFoundException maps to transcode.ErrNotFound, as does an id no job can have (empty, "."
// or ".."), which Get and Cancel refuse without a request; BadRequestException from CreateJob to
// transcode.ErrInvalidJob, and canceling an ended job to transcode.ErrFinished; errors.As
// reaches the SDK's smithy.APIError.
package awsmediaconvert
