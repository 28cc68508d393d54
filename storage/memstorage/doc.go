// Package memstorage provides an in-memory storage.Bucket, for unit tests and local runs.
//
// A Bucket keeps its objects in an ordered index (a skip list), so listing a page costs
// O(log n + page) however many keys the bucket holds; it copies what it is given and what it
// returns, and computes ETags as S3 does for single-part uploads (the hex MD5 of the body), while
// the body streams in.
//
// # HTTP
//
// Signed URLs and upload forms point at Options.BaseURL, where the caller serves Bucket.Handler.
// The handler answers GET, HEAD and PUT of signed URLs and POSTs of upload forms as S3 does, so a
// browser talks to memory exactly as to S3: expired, tampered or unsigned requests get 403,
// files over a form's size limit 400 EntityTooLarge. Signatures are HMAC-SHA256 under a key of the
// bucket's own (Options.SigningKey), or under the secret of caller credentials.
//
// # Credentials
//
// With Options.Authority (an identity.Authority, such as memidentity's), the bucket checks
// caller credentials as S3 checks a request against IAM: Bucket.WithCredentials returns the
// bucket as the holder of some temporary credentials sees it, allowed only under its identity's
// prefix (Options.Prefix, "uploads/<identity id>/" by default); URLs and forms signed with such
// credentials carry the access key id and session token, and the handler authenticates them and
// applies the same prefix. An app that signs a browser upload form with the credentials its user
// was given therefore gets the same 403 locally as in AWS when the user reaches outside their
// prefix:
//
//	b := memstorage.New("media", &memstorage.Options{Authority: authority})
//	userBucket := b.WithCredentials(creds) // creds from the identity exchange
//	form, err := userBucket.UploadForm(ctx, "uploads/"+identityID+"/video.mp4", nil)
//
// # Metering
//
// With Options.OnCall, the bucket reports the requests (storage.Call) that awss3 would send to
// S3 for the same operations, multipart uploads and copies in parts included when
// MultipartThreshold and MaxCopySize model the transfer manager's settings, so a local run
// meters as it would on AWS; the handler reports each request it serves, with Signed set.
//
// # Events
//
// With Options.Publisher, every change publishes the S3 notification AWS would send
// (ObjectCreated:Put, :Post, :Copy, :CompleteMultipartUpload with Options.MultipartThreshold,
// ObjectRemoved:Delete, which S3 sends even for a key that held nothing), with a sequencer that
// increases per key, after the change is visible and without making the writer wait.
// Bucket.Flush waits for the queue to drain.
package memstorage
