package eventstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/servous/servous/events"
	"github.com/servous/servous/internal/uuid"
)

// PutEvents limits, as the EventBridge API reference states them.
const (
	MaxEntries       = 10
	MaxRequestSize   = 256 * 1024
	MaxDetailTypeLen = 128
)

// Entry is one event a Server received in a PutEvents request.
type Entry struct {
	// EventID is the id the server assigned; empty for failed entries.
	EventID      string
	Source       string
	DetailType   string
	Detail       string
	Resources    []string
	Time         time.Time // zero when the request carried none
	EventBusName string
	TraceHeader  string
}

// EntrySize returns the size EventBridge counts for an entry against the
// 256 KB request limit: 14 bytes for a time stamp, plus the UTF-8 bytes of
// Source, DetailType, Detail and each resource.
func EntrySize(source, detailType, detail string, resources []string, hasTime bool) int {
	n := len(source) + len(detailType) + len(detail)
	if hasTime {
		n += 14
	}
	for _, r := range resources {
		n += len(r)
	}
	return n
}

// Server is an EventBridge endpoint for tests, speaking the JSON 1.1
// protocol of aws-sdk-go-v2's eventbridge client. It implements PutEvents.
type Server struct {
	// URL is the endpoint; pass it as the client's BaseEndpoint.
	URL string

	srv *httptest.Server

	mu       sync.Mutex
	accepted []Entry
	calls    [][]Entry
	failNext []string // error codes for the next entries that would succeed
	failFunc func(Entry) string
	forward  events.Publisher
}

// NewServer starts a Server, closed when the test ends.
func NewServer(tb testing.TB) *Server {
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// Entries returns the entries accepted so far, in order.
func (s *Server) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.accepted...)
}

// Events returns the entries accepted so far, in order, as the events a rule
// delivers to its target.
func (s *Server) Events() ([]events.Event, error) {
	entries := s.Entries()
	evs := make([]events.Event, len(entries))
	for i, e := range entries {
		ev, err := e.event()
		if err != nil {
			return nil, err
		}
		evs[i] = ev
	}
	return evs, nil
}

// event returns the event a rule delivers for an accepted entry.
func (e Entry) event() (events.Event, error) {
	return events.NewCustom(events.Custom{
		Envelope:   events.Envelope{ID: e.EventID, Account: "000000000000", Region: "us-east-1", Time: e.Time, Resources: e.Resources},
		Source:     e.Source,
		DetailType: e.DetailType,
		Detail:     json.RawMessage(e.Detail),
	})
}

// Calls returns the entries of each valid PutEvents request, failed ones
// included, one slice per request.
func (s *Server) Calls() [][]Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]Entry(nil), s.calls...)
}

// FailNext fails the next n entries that would otherwise be accepted with
// the given per-entry error code, such as "ThrottlingException" or
// "InternalFailure".
func (s *Server) FailNext(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, code)
	}
}

// FailFunc fails every entry for which f returns a non-empty error code.
// Nil removes the function.
func (s *Server) FailFunc(f func(Entry) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFunc = f
}

// Forward publishes every accepted entry to p as the event a rule delivers
// to its target, as an EventBridge bus would; a memevents bus then invokes
// subscribed handlers. Nil stops forwarding.
func (s *Server) Forward(p events.Publisher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forward = p
}

type apiError struct {
	status int
	code   string
	msg    string
}

func writeError(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.msg})
}

func validation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

type wireEntry struct {
	Source       *string         `json:"Source"`
	DetailType   *string         `json:"DetailType"`
	Detail       *string         `json:"Detail"`
	Resources    []string        `json:"Resources"`
	Time         json.RawMessage `json:"Time"`
	EventBusName *string         `json:"EventBusName"`
	TraceHeader  *string         `json:"TraceHeader"`
}

type wireResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", uuid.New())
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, apiError{http.StatusNotFound, "UnknownOperationException", "expected POST /"})
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.1") {
		writeError(w, apiError{http.StatusBadRequest, "SerializationException", "Content-Type must be application/x-amz-json-1.1, not " + ct})
		return
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") {
		writeError(w, apiError{http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token"})
		return
	}
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "AWSEvents.PutEvents":
	default:
		writeError(w, apiError{http.StatusBadRequest, "UnknownOperationException", "unsupported operation " + target})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeError(w, apiError{http.StatusBadRequest, "SerializationException", err.Error()})
		return
	}
	results, apiErr := s.putEvents(r.Context(), body)
	if apiErr != nil {
		writeError(w, *apiErr)
		return
	}
	failed := 0
	for _, res := range results {
		if res.ErrorCode != "" {
			failed++
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(struct {
		FailedEntryCount int          `json:"FailedEntryCount"`
		Entries          []wireResult `json:"Entries"`
	}{failed, results})
}

func (s *Server) putEvents(ctx context.Context, body []byte) ([]wireResult, *apiError) {
	var in struct {
		Entries    []wireEntry `json:"Entries"`
		EndpointID *string     `json:"EndpointId"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	switch {
	case in.Entries == nil:
		return nil, validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null")
	case len(in.Entries) < 1:
		return nil, validation("1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(in.Entries) > MaxEntries:
		return nil, validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d", MaxEntries)
	}
	entries := make([]Entry, len(in.Entries))
	results := make([]wireResult, len(in.Entries))
	total, complete := 0, 0
	for i, we := range in.Entries {
		e, code, msg := parseEntry(we)
		entries[i] = e
		total += EntrySize(e.Source, e.DetailType, e.Detail, e.Resources, !e.Time.IsZero())
		results[i] = wireResult{ErrorCode: code, ErrorMessage: msg}
		if we.Source != nil && we.DetailType != nil && we.Detail != nil {
			complete++
		}
	}
	if total > MaxRequestSize {
		return nil, validation("Total size of the entries in the request is over the limit.")
	}
	if complete == 0 {
		return nil, validation("Parameters Detail, DetailType and Source are required for at least one entry.")
	}

	s.mu.Lock()
	s.calls = append(s.calls, entries)
	var accepted []Entry
	for i := range entries {
		if results[i].ErrorCode != "" {
			continue
		}
		if s.failFunc != nil {
			if code := s.failFunc(entries[i]); code != "" {
				results[i] = wireResult{ErrorCode: code, ErrorMessage: "injected failure"}
				continue
			}
		}
		if len(s.failNext) > 0 {
			results[i] = wireResult{ErrorCode: s.failNext[0], ErrorMessage: "injected failure"}
			s.failNext = s.failNext[1:]
			continue
		}
		entries[i].EventID = uuid.New()
		results[i] = wireResult{EventID: entries[i].EventID}
		accepted = append(accepted, entries[i])
	}
	s.accepted = append(s.accepted, accepted...)
	forward := s.forward
	s.mu.Unlock()

	if forward != nil {
		for _, e := range accepted {
			ev, err := e.event()
			if err == nil {
				err = forward.Publish(ctx, ev)
			}
			if err != nil {
				return nil, &apiError{http.StatusInternalServerError, "InternalException", "forwarding: " + err.Error()}
			}
		}
	}
	return results, nil
}

// parseEntry converts and validates one entry, returning a per-entry error
// code and message as EventBridge does.
func parseEntry(we wireEntry) (Entry, string, string) {
	var e Entry
	if we.Source != nil {
		e.Source = *we.Source
	}
	if we.DetailType != nil {
		e.DetailType = *we.DetailType
	}
	if we.Detail != nil {
		e.Detail = *we.Detail
	}
	e.Resources = we.Resources
	if we.EventBusName != nil {
		e.EventBusName = *we.EventBusName
	}
	if we.TraceHeader != nil {
		e.TraceHeader = *we.TraceHeader
	}
	if len(we.Time) > 0 && string(we.Time) != "null" {
		var secs float64
		if err := json.Unmarshal(we.Time, &secs); err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return e, "InvalidArgument", "Parameter Time is not valid. Reason: Time must be epoch seconds."
		}
		whole, frac := math.Modf(secs)
		e.Time = time.Unix(int64(whole), int64(frac*1e9)).UTC()
	}
	switch {
	case we.Source == nil || e.Source == "":
		return e, "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."
	case we.DetailType == nil || e.DetailType == "":
		return e, "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case we.Detail == nil:
		return e, "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."
	case utf8.RuneCountInString(e.DetailType) > MaxDetailTypeLen:
		return e, "InvalidArgument", fmt.Sprintf("Parameter DetailType is not valid. Reason: DetailType is longer than %d characters.", MaxDetailTypeLen)
	case !isJSONObject(e.Detail):
		return e, "MalformedDetail", "Detail is malformed."
	case strings.HasPrefix(e.Source, "aws."):
		return e, "NotAuthorizedForSourceException", "Not authorized for the source."
	case len(e.TraceHeader) > 500:
		return e, "InvalidArgument", "Parameter TraceHeader is not valid. Reason: TraceHeader is longer than 500 characters."
	}
	return e, "", ""
}

func isJSONObject(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{") && json.Valid([]byte(s))
}
