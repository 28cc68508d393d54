// Package transcode provides video transcoding jobs: submit a job that turns one input object
// into several H.264/AAC MP4 renditions and a JPEG thumbnail, follow its state, cancel it.
//
// A [Transcoder] is implemented by awsmediaconvert (AWS Elemental MediaConvert), memtranscode
// (an in-process simulation on storage buckets, for unit tests) and ffmpeg (real transcoding on
// the local machine with the ffmpeg and ffprobe binaries). transcodetest holds the conformance
// suite they all pass and an in-process MediaConvert API server.
//
// # Which transcoder
//
// Deployed on AWS, use awsmediaconvert. In unit tests, and in local runs where a stand-in
// video is enough, use memtranscode: it needs nothing installed, finishes in milliseconds and
// can be made slow or failing on purpose. For a local run that must play real videos, use
// ffmpeg. Code written against Transcoder, and functions fed by its job state change events,
// work unchanged with all three.
//
// # Jobs
//
// A [Job] names its input object, the renditions wanted, an optional thumbnail, where the
// outputs go, user metadata and an idempotency token. [Job.Validate] checks a job the way
// MediaConvert would; every adapter rejects an invalid job at Submit with an error wrapping
// [ErrInvalidJob], before any work starts.
//
// # Output keys
//
// Outputs are named as MediaConvert names the outputs of a file group: a base name, then the
// rendition's name (MediaConvert's "name modifier"), then the extension. When
// [Destination].Prefix is empty or ends in "/", the base name is the input file's name without
// its extension, so input "uploads/cat.mov" with prefix "videos/" and rendition "-720p" gives
// "videos/cat-720p.mp4". Otherwise the prefix's last segment is the base name itself: prefix
// "videos/cat" gives "videos/cat-720p.mp4" too. Thumbnails are frame captures, which
// MediaConvert numbers: "videos/cat-thumb.0000000.jpg". [Job.OutputKey] computes a key.
//
// # Sizes
//
// A rendition asks for a height, a width, or both. The input's aspect ratio is always kept:
// with one dimension the other follows from the input's aspect ratio; with both, the picture is
// scaled to fit inside the width×height box (MediaConvert's FIT scaling, no padding). Computed
// dimensions are rounded to the nearest even number, as H.264 4:2:0 needs. With
// [Rendition].NoUpscale, an input smaller than the target keeps its own size (rounded down to
// even). [OutputSize] is the one rule every adapter applies.
//
// # States and events
//
// A job is [StateSubmitted], then [StateProgressing], then ends [StateComplete], [StateError]
// or [StateCanceled]. The end of a job reaches functions as a "MediaConvert Job State Change"
// EventBridge event, the same JSON whichever adapter ran the job; [DecodeEvent] turns the
// payload a function receives into the job's [Status], outputs included.
//
// # Errors
//
// [ErrInvalidJob] for a job that cannot run, [ErrNotFound] for an unknown job id, or one that
// ended and was submitted more than 90 days ago (MediaConvert keeps 90 days of job history; the
// in-process adapters forget their jobs as it does), [ErrFinished] when canceling a job that
// already ended. A job whose input is missing or not a
// video is accepted and ends in [StateError] with a MediaConvert error code ([CodeInputAccess]),
// because MediaConvert finds that out only when it runs the job.
package transcode
