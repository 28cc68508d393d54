package transcode

import (
	"context"
	"time"
)

// Transcoder runs transcoding jobs.
//
// Implementations are safe for concurrent use.
type Transcoder interface {
	// Submit validates job and starts it, returning the job's id. An invalid job is rejected
	// with an error wrapping ErrInvalidJob. Submitting a job with the IdempotencyToken of a
	// job submitted less than a minute earlier returns that job's id and starts nothing; a
	// token reused later starts a new job, as MediaConvert does. ctx bounds the submission
	// only: the job runs on after Submit returns, as a MediaConvert job does, until it ends
	// or is canceled.
	Submit(ctx context.Context, job *Job) (id string, err error)

	// Get returns the job's current status, or an error wrapping ErrNotFound.
	Get(ctx context.Context, id string) (*Status, error)

	// Cancel stops a job that has not ended; it ends in StateCanceled and leaves no outputs
	// that look complete. Canceling a job that already ended returns an error wrapping
	// ErrFinished; an unknown id, ErrNotFound.
	Cancel(ctx context.Context, id string) error
}

// State is the state of a job, named as MediaConvert names it.
type State string

// The states of a job. A job moves forward only: SUBMITTED, PROGRESSING, then one of the final
// states COMPLETE, ERROR or CANCELED.
const (
	StateSubmitted   State = "SUBMITTED"
	StateProgressing State = "PROGRESSING"
	StateComplete    State = "COMPLETE"
	StateError       State = "ERROR"
	StateCanceled    State = "CANCELED"
)

// Final reports whether s is a state a job never leaves.
func (s State) Final() bool {
	return s == StateComplete || s == StateError || s == StateCanceled
}

// Status is what is known of a job.
type Status struct {
	// ID is the job's id.
	ID string
	// State is where the job is.
	State State
	// Percent is the job's progress, 0 to 100, when State is StateProgressing and the
	// transcoder knows it; -1 when it does not.
	Percent int
	// Outputs lists the objects a complete job wrote, renditions in the order of
	// Job.Renditions, then the thumbnail.
	Outputs []Output
	// ErrorCode and ErrorMessage say why a job ended in StateError. The codes are
	// MediaConvert's (see CodeInputAccess).
	ErrorCode    int
	ErrorMessage string
	// Metadata is the job's user metadata.
	Metadata map[string]string
}

// Output is one object a complete job wrote.
type Output struct {
	// Bucket and Key locate the object.
	Bucket string
	Key    string
	// Width and Height are the picture's size in pixels.
	Width  int
	Height int
	// Duration is the output's length; zero for a thumbnail.
	Duration time.Duration
	// Size is the object's size in bytes; 0 when the transcoder does not report it
	// (MediaConvert does not).
	Size int64
}

// MediaConvert's job error codes that every adapter uses for the same causes.
const (
	// CodeInputAccess: the input could not be opened or probed: it is missing, empty, not a
	// video, or its container is unreadable.
	CodeInputAccess = 1010
	// CodeInputDecode: the input opened but could not be decoded to its end, e.g. a
	// truncated file.
	CodeInputDecode = 1040
	// CodeOutputWrite: an output could not be written.
	CodeOutputWrite = 1401
	// CodeInternal: anything else.
	CodeInternal = 1999
)
