// Package petu is a video app built from servous's blocks: the worked example of a serverless
// application, and the proof that the blocks fit together.
//
// A user signs in, uploads a video straight to a bucket, and gets it back transcoded into several
// sizes, listed and playable in the browser. No server of petu's own keeps any state: every piece
// of state lives in a managed service, and every piece of code is a small function that runs when
// an event arrives.
//
// # The architecture
//
// The app is the one its seed lesson draws, each component played by a servous package:
//
//	seed component                     played by                 in AWS                  locally
//	static website on S3               petu/site + storage       S3 bucket               memstorage
//	sign in with Google                identity                  Cognito identity pool   memidentity
//	temporary AWS credentials          identity.Identity         GetCredentialsForIdentity
//	upload to an S3 bucket             storage.UploadForm        S3 presigned POST       memstorage's handler
//	upload event invokes a function    events, OnUpload          S3 notification         memevents bus
//	transcoding jobs, several sizes    transcode                 MediaConvert            ffmpeg or memtranscode
//	outputs in a bucket                storage                   S3 bucket               memstorage
//	metadata in DynamoDB               table                     DynamoDB                memtable
//	job done invokes a function        events, OnTranscoded      EventBridge rule        memevents bus
//	a function returns URLs            API                       Lambda Function URL     net/http
//
// App is written against the interface packages only — storage.Bucket, table.Table,
// identity.Exchanger, transcode.Transcoder — so the same code runs on the AWS adapters
// (petu/cmd/api, petu/cmd/on-upload, petu/cmd/on-transcoded, one Lambda function each) and on the
// in-memory ones (petu/cmd/petu, the whole app in one process).
//
// # The functions
//
// API is one http.Handler. A caller presents its sign-in token as a bearer token; the API swaps it
// for an identity and temporary credentials through identity, once per token lifetime. POST
// /api/uploads answers with a browser upload form for uploads/<identity id>/<video id>/<file>,
// signed with the caller's own temporary credentials, so that it is the identity's policy — in
// AWS the authenticated role's, limited to uploads/${cognito-identity.amazonaws.com:sub}/* — that
// lets the file in. GET /api/videos lists the caller's videos newest first, with short-lived
// signed URLs; GET and DELETE /api/videos/{id} read and remove one.
//
// OnUpload runs when an object is created in the uploads bucket. It validates the key, creates the
// video's record as pending and submits one transcoding job. Events arrive at least once and in
// any order, so every step is idempotent: the record is created only if absent, and the job is
// submitted with the video id and the upload's S3 sequencer as its idempotency token. The upload
// form stays valid after the video is deleted: posted again, it writes a new object, with a later
// sequencer, which gets a new record and a job of its own and ends ready or failed like the first.
//
// OnTranscoded runs when a job starts and when it ends. A job that starts is recorded on its video
// if on-upload did not get to it (a retry of on-upload then finds it instead of submitting a
// second job once MediaConvert has forgotten the token). A job that ends marks the video ready with
// its renditions, duration and thumbnail, or failed with the reason, under a condition that makes
// a repeat change nothing.
//
// # State
//
// A video is pending (its record exists), processing (its job is submitted), then ready or failed.
// Records live in one table keyed by owner (the identity id) and video id. Video ids start with
// the upload time, so a query in descending order lists the newest first.
//
// # Running it
//
// Locally, go run ./petu/cmd/petu serves the whole app at http://localhost:8080 on the in-memory
// adapters, with a local sign-in in place of Google; -demo runs a sample video through it and
// exits. In AWS, template.yaml (AWS SAM) declares the buckets, the table, the identity pool and
// its role, the MediaConvert role, the event sources and the three functions with their
// policies; petu/cmd/internal/awsapp builds the app from the variables the template sets. In
// tests, build the app on the in-memory adapters and call its functions with the JSON AWS would
// send, as the example of App.OnUpload does.
package petu
