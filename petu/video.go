package petu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The states of a video.
const (
	StatusPending    = "pending"    // the upload arrived; the record exists
	StatusProcessing = "processing" // the transcoding job is submitted
	StatusReady      = "ready"      // the renditions are in the media bucket
	StatusFailed     = "failed"     // the job failed; Error says why
)

// Video is a video's record in the videos table.
type Video struct {
	Owner string `dynamodbav:"owner" table:"partition" json:"-"`
	ID    string `dynamodbav:"id" table:"sort" json:"id"`

	FileName  string    `dynamodbav:"file_name" json:"fileName"`
	SourceKey string    `dynamodbav:"source_key" json:"-"`
	Size      int64     `dynamodbav:"size" json:"size"`
	Status    string    `dynamodbav:"status" json:"status"`
	CreatedAt time.Time `dynamodbav:"created_at" json:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updated_at" json:"updatedAt"`

	// Upload is the S3 sequencer of the upload the record is for. An upload form stays valid
	// after its video is deleted, and S3 gives each object written at the key a later
	// sequencer, so Upload tells the upload being transcoded from an earlier or later one of the
	// same key: their jobs and their events are told apart by it.
	Upload     string      `dynamodbav:"upload,omitempty" json:"-"`
	JobID      string      `dynamodbav:"job_id,omitempty" json:"-"`
	Renditions []Rendition `dynamodbav:"renditions,omitempty" json:"renditions"`
	Thumbnail  string      `dynamodbav:"thumbnail,omitempty" json:"-"`
	DurationMs int64       `dynamodbav:"duration_ms,omitempty" json:"durationMs,omitempty"`
	Error      string      `dynamodbav:"error,omitempty" json:"error,omitempty"`

	// ExpiresAt, in epoch seconds, is when a failed video's record goes (the table's time to
	// live); zero for every other video.
	ExpiresAt int64 `dynamodbav:"expires_at,omitempty" table:"expires" json:"-"`
}

// FailedRetention is how long a failed video stays listed, so its owner sees why.
const FailedRetention = 7 * 24 * time.Hour

// Rendition is one transcoded size of a video.
type Rendition struct {
	Name   string `dynamodbav:"name" json:"name"`
	Key    string `dynamodbav:"key" json:"-"`
	Width  int    `dynamodbav:"width" json:"width"`
	Height int    `dynamodbav:"height" json:"height"`
}

// ErrInvalidKey is returned for an object key that is not an upload petu made.
var ErrInvalidKey = errors.New("petu: invalid upload key")

// UploadPrefix starts every upload key: uploads/<identity id>/<video id>/<file name>. The
// authenticated role's policy in the deployment template allows uploads under
// uploads/${cognito-identity.amazonaws.com:sub}/ and nowhere else.
const UploadPrefix = "uploads/"

// maxFileName bounds the file name kept in a key, well inside S3's 1,024-byte keys.
const maxFileName = 128

var (
	// identityIDPattern is Cognito's identity id: a region, a colon and a GUID.
	identityIDPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	videoIDPattern    = regexp.MustCompile(`^[0-9a-f]{20}$`)
)

// newVideoID returns an id that sorts by creation time: 12 hex digits of Unix milliseconds, then
// 8 random hex digits, so ids made in the same millisecond still differ.
func newVideoID(now time.Time) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%012x%s", now.UnixMilli(), hex.EncodeToString(b[:]))
}

// cleanFileName keeps what is safe of a file name for a key and a download: letters and digits
// of any script (a name in Cyrillic or Japanese stays readable), combining marks, '.', '-' and
// '_', with anything else — spaces, slashes, controls, bidirectional overrides — turned into '-'.
// It keeps at most maxFileName bytes, never cutting a letter in two.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		if r == utf8.RuneError || !fileNameRune(r) {
			r = '-'
		}
		if b.Len()+utf8.RuneLen(r) > maxFileName {
			break
		}
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), ".-")
	if s == "" {
		return "video"
	}
	return s
}

func fileNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '.' || r == '_' || r == '-'
}

// uploadKey is where a video's source is uploaded.
func uploadKey(owner, videoID, fileName string) string {
	return UploadPrefix + owner + "/" + videoID + "/" + fileName
}

// ParseUploadKey splits an upload key into its owner, video id and file name, refusing anything
// petu's API could not have made: events carry keys that anybody allowed to write to the bucket
// chose, so nothing in them is trusted before this check.
func ParseUploadKey(key string) (owner, videoID, fileName string, err error) {
	if !utf8.ValidString(key) || !strings.HasPrefix(key, UploadPrefix) {
		return "", "", "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	parts := strings.Split(key[len(UploadPrefix):], "/")
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("%w: %q: want uploads/<identity id>/<video id>/<file name>", ErrInvalidKey, key)
	}
	owner, videoID, fileName = parts[0], parts[1], parts[2]
	switch {
	case !identityIDPattern.MatchString(owner):
		return "", "", "", fmt.Errorf("%w: %q: bad identity id", ErrInvalidKey, key)
	case !videoIDPattern.MatchString(videoID):
		return "", "", "", fmt.Errorf("%w: %q: bad video id", ErrInvalidKey, key)
	case cleanFileName(fileName) != fileName:
		return "", "", "", fmt.Errorf("%w: %q: bad file name", ErrInvalidKey, key)
	}
	return owner, videoID, fileName, nil
}

// mediaPrefix is where a video's renditions and thumbnail go in the media bucket.
func mediaPrefix(owner, videoID string) string {
	return "videos/" + owner + "/" + videoID + "/"
}
