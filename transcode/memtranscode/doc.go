// Package memtranscode provides an in-process transcode.Transcoder that simulates transcoding
// on storage buckets, for unit tests and local runs.
//
// A job reads its whole input, decides whether it is a video, waits Options.Latency, and then
// writes one object per rendition and one for the thumbnail. It publishes the events
// MediaConvert would: PROGRESSING when it starts, then COMPLETE, ERROR, or CANCELED (when
// canceled while progressing), as "MediaConvert Job State Change" EventBridge JSON.
//
// # What counts as a video
//
// The input is read once, front to back, and recognised by its container, not its name:
//   - MP4, MOV and other ISO base media files: a chain of boxes starting with "ftyp",
//     "moov", "mdat", "free", "skip" or "wide", each ending inside the file, including a
//     "moov" and an "mdat". Width, height, rotation and duration come from the track and
//     movie headers, so the outputs' metadata is the input's, scaled. A video with a
//     rotation (a phone's portrait video) gives upright outputs, sized from the turned
//     picture, as ffmpeg and MediaConvert (whose input Rotate is AUTO) give them.
//   - The other containers MediaConvert reads video from, recognised by their leading bytes:
//     Matroska and WebM, MPEG transport streams (M2TS too), MPEG program streams (MPEG-1
//     system streams, VOB), AVI, ASF (WMV), FLV, MXF, GIF (MediaConvert reads animated
//     GIFs; the picture size is read), and MPEG-1/2, H.264 and H.265 elementary streams in no
//     container. Their picture is taken to be 1920×1080 and 10 seconds long.
//
// The ffmpeg adapter and transcodetest's MediaConvert server recognise the same containers.
// Packages of several objects (HLS, IMF) are not read. Anything else ends the job in ERROR
// with code 1010 (transcode.CodeInputAccess): a missing key, a key the bucket refuses (over
// 1,024 bytes, not UTF-8), an empty object, a text file named .mp4, a photo, audio alone (a
// WAV file, an FLV without video). A truncated MP4 ends in ERROR with code 1040
// (transcode.CodeInputDecode). Nothing is written for a failed job.
//
// # Outputs
//
// Each rendition is a small MP4 with the rendition's size and the input's duration in its
// headers and, in a "free" box, a text describing the job (input, ETag, rendition, size,
// rate control), so the same job gives byte-identical outputs. The thumbnail is a grey JPEG
// of the thumbnail's size. Outputs are written only after every check passed; a job canceled
// or failing while writing deletes what it wrote.
//
// # Job history
//
// As MediaConvert keeps 90 days of job history, a job that ended is forgotten 90 days after
// its submission: Get and Cancel then return transcode.ErrNotFound. An idempotency token
// returns its job for one minute after the Submit that created it, and is forgotten after
// that. So a transcoder that runs for months holds only those jobs.
//
// # Failure injection
//
// Options.Fail decides per job, or Options.FailureRate with Options.Seed fails that share of
// jobs, drawn from a generator seeded with Seed in submission order, so a run repeats.
package memtranscode
