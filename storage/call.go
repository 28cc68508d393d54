package storage

// A Call is one request a bucket adapter made to its store, as S3 counts requests: one for each
// request S3 receives, a retried attempt included, named by S3's API action. Adapters report their
// calls to a function in their options (OnCall), for metering what a run would cost (see the
// cost package); the in-memory adapter reports the calls its AWS twin makes for the same
// operation, and the requests its Handler serves to holders of signed URLs and forms.
type Call struct {
	// Bucket is the bucket's name.
	Bucket string
	// Op is S3's API action: "PutObject", "CreateMultipartUpload", "UploadPart",
	// "CompleteMultipartUpload", "AbortMultipartUpload", "CopyObject", "UploadPartCopy",
	// "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2", or "PostObject" for a form
	// upload.
	Op string
	// Key is the object's key; empty for ListObjectsV2.
	Key string
	// Size is the size of the object the call left at Key, for the calls that write a whole
	// object (PutObject, CompleteMultipartUpload, CopyObject, PostObject) when they succeed; 0
	// otherwise.
	Size int64
	// Bytes is how many bytes of object data the store sent back (GetObject's body), counted
	// as the body is read: a reader that closes the body early counts what it read, though S3
	// may have sent a little more.
	Bytes int64
	// Signed reports a request made with a signed URL or form by whoever held it, rather than by
	// the adapter: its data went to the internet.
	Signed bool
	// Failed reports a request the store refused or could not complete. S3 bills it all the
	// same.
	Failed bool
}
