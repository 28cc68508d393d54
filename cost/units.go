package cost

// Services, as a [Key] names them: AWS's own lower-case names.
const (
	ServiceLambda          = "lambda"
	ServiceS3              = "s3"
	ServiceDynamoDB        = "dynamodb"
	ServiceMediaConvert    = "mediaconvert"
	ServiceEventBridge     = "eventbridge"
	ServiceCognitoIdentity = "cognito-identity"
)

// Units, as a [Key] names them. Each is a quantity AWS bills, or one it counts without a
// charge (requests-free, exchanges, cold-starts), kept so a report shows it.
const (
	// UnitRequests counts Lambda invocations.
	UnitRequests = "requests"
	// UnitGBSecondsArm64 and UnitGBSecondsX86 are Lambda's compute: billed duration in
	// seconds times configured memory in GB (MB/1024), the INIT phase included.
	UnitGBSecondsArm64 = "gb-seconds-arm64"
	UnitGBSecondsX86   = "gb-seconds-x86_64"
	// UnitColdStarts counts execution environments initialised (free in itself; their
	// INIT duration is in the GB-seconds).
	UnitColdStarts = "cold-starts"

	// UnitS3Tier1 counts PUT, COPY, POST and LIST requests, and the multipart upload
	// requests (S3's "Requests-Tier1").
	UnitS3Tier1 = "requests-tier1"
	// UnitS3Tier2 counts GET, HEAD and every other request that is not free
	// ("Requests-Tier2").
	UnitS3Tier2 = "requests-tier2"
	// UnitS3Free counts DELETE and AbortMultipartUpload requests, which S3 does not bill.
	UnitS3Free = "requests-free"
	// UnitTransferOutBytes counts the bytes S3 sent to the internet (GetObject through a
	// signed URL).
	UnitTransferOutBytes = "transfer-out-bytes"
	// UnitByteHours is stored bytes integrated over time, in byte-hours (S3's
	// "TimedStorage-ByteHrs"); a report prices it per GB-month.
	UnitByteHours = "storage-byte-hours"
	// UnitStoredBytes is the change in bytes stored. It costs nothing in itself: a report
	// prices it per month as the idle cost.
	UnitStoredBytes = "stored-bytes"

	// UnitReadUnits and UnitWriteUnits are DynamoDB on-demand read and write request units.
	UnitReadUnits  = "read-request-units"
	UnitWriteUnits = "write-request-units"

	// UnitMinutesSD, UnitMinutesHD and UnitMinutesUHD are MediaConvert output minutes by
	// the resolution of the output: SD below 720 lines, HD from 720 to 1080, UHD above.
	UnitMinutesSD  = "output-minutes-sd"
	UnitMinutesHD  = "output-minutes-hd"
	UnitMinutesUHD = "output-minutes-uhd"

	// UnitEvents counts EventBridge custom events in 64 KB chunks: what PutEvents bills.
	UnitEvents = "custom-events"
	// UnitAWSEvents counts events from AWS services (source "aws."), which are free.
	UnitAWSEvents = "aws-service-events"

	// UnitExchanges counts Cognito identity pool exchanges (GetId and
	// GetCredentialsForIdentity), which are free.
	UnitExchanges = "exchanges"
)
