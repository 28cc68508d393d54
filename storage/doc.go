// Package storage defines a bucket of objects: the contract that the S3 adapter (awss3) and the
// in-memory adapter (memstorage) both keep.
//
// # Objects
//
// A [Bucket] holds objects addressed by keys. Keys are UTF-8 strings of 1 to 1,024 bytes, as in
// Amazon S3; every adapter refuses other keys with [ErrInvalidKey] before doing any I/O. Keys list
// in UTF-8 byte order, the order S3 uses. ETags are quoted, as S3 returns them: for an object
// written in one request, the hex MD5 of its body in double quotes.
//
// # Conditional writes
//
// [PutOptions.IfAbsent] creates an object only when its key is free (S3's If-None-Match: *) and
// [PutOptions.IfMatch] replaces it only while its ETag is the one given (If-Match). Either
// failing returns [ErrPreconditionFailed], except an IfMatch write to a key that holds no
// object, which returns [ErrNotFound] as S3 answers 404 NoSuchKey: there is nothing to compare
// with. Among concurrent create-only writers of one key, exactly one succeeds.
//
// # Copies
//
// [Bucket.Copy] reads its source first: a missing source is [ErrNotFound] and a failed
// [CopyOptions.SourceIfMatch] [ErrPreconditionFailed], whatever the destination's conditions.
// A copy of an object onto itself must change something, as in S3: without
// [CopyOptions.Replace] it is refused with [ErrInvalidArgument].
//
// # Ranges
//
// A [Range] that no HTTP request can carry (a negative field, or Last with Offset or Length)
// is refused with [ErrInvalidArgument] before anything else: before the key is looked up and
// before any condition is checked.
//
// # Signed requests
//
// [Bucket.SignURL] lets a holder of the URL GET or PUT one object without credentials until it
// expires; [Bucket.UploadForm] describes an HTML form a browser POSTs a file with (S3's presigned
// POST). Both sign with the bucket's own credentials unless the options carry others, so an app can
// sign with the temporary credentials an identity provider handed its user; the store then allows
// only what that user's policy allows.
//
// # Metering
//
// Adapters report the requests they send to their store, one [Call] each, to a function in
// their options (OnCall), so that what a run costs can be counted in the units AWS bills: each
// request S3 receives, a retried attempt included, and the bytes it sends back. The in-memory
// adapter reports the requests the S3 adapter would send for the same operations, so a run on
// memory meters as it would on AWS.
//
// # Errors
//
// Adapters wrap their provider's errors so that errors.Is matches the sentinels of this package
// ([ErrNotFound], [ErrPreconditionFailed], [ErrInvalidKey], [ErrAccessDenied], [ErrTooLarge],
// [ErrInvalidRange], [ErrInvalidArgument]) while errors.As still reaches the provider's error
// (smithy.APIError for awss3).
package storage
