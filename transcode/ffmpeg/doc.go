// Package ffmpeg provides a transcode.Transcoder that really transcodes, on the local machine,
// with the ffmpeg and ffprobe programs (Debian and Ubuntu: apt-get install ffmpeg).
//
// It is for local runs that should produce real videos: the petu app run locally, or a
// developer checking what renditions look like. Unit tests want memtranscode, which is
// faster and deterministic.
//
// # A job
//
// A job copies its input from the bucket to a temporary file, checks it, probes it with
// ffprobe, runs one ffmpeg process that decodes the input once and encodes every rendition
// (H.264 with libx264, AAC audio, the moov box moved to the front with +faststart) and the
// thumbnail (the first frame as a JPEG) into temporary files, probes each output with ffprobe
// for its real width, height and duration, and only then uploads the outputs to the output
// bucket. A job that fails or is canceled leaves nothing in the bucket: nothing is uploaded
// before ffmpeg succeeded, and a cancel during the uploads deletes what was uploaded.
//
// The input goes through a file rather than a pipe because ffmpeg needs to seek in an MP4
// or MOV whose moov box sits at the end (the usual layout of phone and camera recordings),
// and ffprobe and ffmpeg each read it. The copy streams, so a large input never sits in
// memory.
//
// # Settings
//
// A rendition's Quality q becomes x264's -crf 38-2q (7 → 24, 10 → 18); a Bitrate with a
// Quality caps it (-maxrate, -bufsize twice that); a Bitrate alone is the average bitrate
// (-b:v). Sizes follow transcode.OutputSize on the probed input size, turned upright when
// the input carries a rotation (a phone's portrait video), as ffmpeg turns the frames and
// MediaConvert does with the input's Rotate AUTO; frames are scaled with the bicubic filter
// and get square pixels. Audio is AAC stereo at 48 kHz, 96 kb/s by default; an input without
// audio gives renditions without audio. Options.Preset is x264's preset ("veryfast" by
// default).
//
// # Bad input
//
// The input must be in a container MediaConvert reads video from, recognised by its leading
// bytes as memtranscode and transcodetest's MediaConvert server recognise it (memtranscode's
// package doc lists them: MP4, QuickTime, 3GP, Matroska, WebM, MPEG transport and program
// streams, AVI, ASF, FLV, MXF, GIF, raw MPEG-2, H.264 and H.265 streams), and ffprobe must
// read it with the demuxer of that container. ffmpeg reads much more (photos, audio alone,
// playlists) that MediaConvert refuses. An input that is missing, empty, in another
// container or without video ends in ERROR with code 1010 (transcode.CodeInputAccess), as
// MediaConvert ends it; an MP4 whose boxes are cut short, or that ffmpeg fails to decode,
// with 1040 (transcode.CodeInputDecode). The message quotes ffmpeg's last lines.
//
// # Job history
//
// Jobs and idempotency tokens are kept as memtranscode keeps them, and as MediaConvert does: a
// job that ended is forgotten 90 days after its submission (Get then returns
// transcode.ErrNotFound), a token one minute after the Submit that created its job.
//
// # Concurrency and cancellation
//
// At most Options.Concurrency jobs run at once; the others wait in SUBMITTED. Cancel and
// Close kill the job's ffmpeg or ffprobe process and wait for it and its temporary files to
// be gone.
//
// # A killed process
//
// A process killed without a chance to clean up (SIGKILL, a crash) cannot run Close. On Linux
// and FreeBSD its ffmpeg and ffprobe children die with it: they are started with a
// parent-death signal (SIGKILL). On Linux that signal follows the thread that started the
// child, so the adapter starts every child from one thread kept for the life of the process.
// Other platforms have no such signal in the standard library, and a child runs on to its end.
//
// Each job's temporary directory, in Options.TempDir or the system's, is named
// servous-ffmpeg-<pid>-<random> after the process that made it. New removes those whose
// process is gone, so the source and renditions a killed run left behind do not stay on disk.
package ffmpeg
