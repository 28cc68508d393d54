// Package storagetest checks that a storage.Bucket keeps the contract, and runs an S3-compatible
// server in the test process so S3 code can be tested without an AWS account.
//
// # Conformance
//
// RunBucketTests runs every behaviour of the storage.Bucket contract as subtests against
// buckets the caller makes: reads and writes, conditional writes (including racing create-only
// writers), torn reads under concurrent replacement, listings of awkward keys across pages,
// 64 MiB streamed both ways, ranges at the edges, and signed URLs and upload forms used over real
// HTTP, expired and tampered ones included. Every adapter's own tests call it.
//
// # Differential runs
//
// RunDifferential applies seeded random sequences of operations over the whole storage.Bucket
// interface to a reference bucket (memstorage in this module's tests) and a bucket under test,
// and compares them call by call: results, errors by sentinel, bodies, listings page by page,
// and which ETags equal which. A divergence is reported with its seed, the operation's index
// and both results, and replays with -storagetest.seed; -storagetest.seeds and
// -storagetest.ops make a longer run.
//
// # MinIO
//
// StartMinIO (or LaunchMinIO, to share one server among a package's tests) runs MinIO, an S3
// implementation no one here wrote, from the minio binary on PATH or in the peers' cache, on a
// free loopback port with a temporary directory. Without the binary a test skips, saying how
// to install it, or fails when SERVOUS_REQUIRE_PEERS=1. MinIO runs on the machine's clock and
// knows none of our per-user policies, so a MinIO target has no Advance and no User, and the
// suite skips those checks. Where MinIO departs from S3's documentation, S3 decides and the
// departure is written down in MinIODepartures: keys with an empty path segment or a segment
// over 255 bytes, objects nested under another object's key, destination conditions on
// copies, listings across small pages of keys sharing a prefix, and two corners of ranges.
// A target's Departures make the suite and RunDifferential leave those places out.
//
// # S3 server
//
// NewS3Server (or StartS3Server outside a test) starts github.com/johannesboyne/gofakes3 on an
// httptest server behind a layer of this package that adds what gofakes3 lacks and S3 does:
//
//   - SigV4 checks of every request, header-signed or presigned (signature, credentials, session
//     token, expiry by a clock tests can move with Advance);
//   - presigned POST uploads with their policy (signature, expiration, conditions,
//     content-length-range);
//   - conditional reads (If-Match), conditional completion of multipart uploads and copies
//     (If-None-Match, If-Match, x-amz-copy-source-if-match), serialized per key; a conditional
//     write to a missing key answered 404 NoSuchKey;
//   - copies that read the source before checking the destination's conditions, refuse an
//     object copied onto itself unchanged (400 InvalidRequest), and take a raw '?' in
//     x-amz-copy-source as the start of its query before unescaping the rest;
//   - per-user prefix policies for temporary credentials (AddUser);
//   - S3's answers where gofakes3 differs: ListObjectsV2 with delimiters across pages, metadata
//     replaced (not merged) by a write, CopyObject's REPLACE directive, Cache-Control and Expires kept, a
//     suffix range longer than the object served whole, a multipart object's ETag on reads,
//     listings and conditions (the one its upload completed with, where gofakes3 reports the
//     MD5 of its whole body), UploadPartCopy.
package storagetest
