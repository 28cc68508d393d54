package eventstest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events/eventstest"
)

func client(t *testing.T, srv *eventstest.Server) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
}

func entry(source, detailType, detail string) types.PutEventsRequestEntry {
	return types.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}
}

func TestPutEventsAcceptsAndAnswersPerEntry(t *testing.T) {
	srv := eventstest.NewServer(t)
	when := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	good := entry("com.example", "Thing", `{"a":[1,2]}`)
	good.Time = &when
	good.Resources = []string{"arn:aws:s3:::b"}
	out, err := client(t, srv).PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		good,
		{DetailType: aws.String("No Source"), Detail: aws.String(`{}`)},
		{Source: aws.String("com.example"), Detail: aws.String(`{}`)},
		entry("com.example", "Array", `[1]`),
		entry("com.example", "Broken", `{"a":`),
		entry("aws.s3", "Object Created", `{}`),
		entry("com.example", strings.Repeat("t", 129), `{}`),
		{Source: aws.String("com.example"), DetailType: aws.String("No Detail")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range out.Entries {
		codes = append(codes, aws.ToString(r.ErrorCode))
	}
	want := []string{"", "InvalidArgument", "InvalidArgument", "MalformedDetail", "MalformedDetail", "NotAuthorizedForSourceException", "InvalidArgument", "InvalidArgument"}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Fatalf("error codes (-want +got):\n%s", diff)
	}
	if out.FailedEntryCount != 7 || aws.ToString(out.Entries[0].EventId) == "" {
		t.Fatalf("FailedEntryCount %d, first EventId %q", out.FailedEntryCount, aws.ToString(out.Entries[0].EventId))
	}
	got := srv.Entries()
	if len(got) != 1 || !got[0].Time.Equal(when) || got[0].Detail != `{"a":[1,2]}` || got[0].Resources[0] != "arn:aws:s3:::b" {
		t.Fatalf("accepted = %+v", got)
	}
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an API error", err)
	}
	return ae.ErrorCode()
}

func TestPutEventsRequestValidation(t *testing.T) {
	srv := eventstest.NewServer(t)
	c := client(t, srv)
	eleven := make([]types.PutEventsRequestEntry, 11)
	for i := range eleven {
		eleven[i] = entry("com.example", "T", `{}`)
	}
	huge := entry("com.example", "T", `{"x":"`+strings.Repeat("x", 200*1024)+`"}`)
	tests := []struct {
		name    string
		entries []types.PutEventsRequestEntry
	}{
		{"no entries", []types.PutEventsRequestEntry{}},
		{"eleven entries", eleven},
		{"over 256 KB", []types.PutEventsRequestEntry{huge, huge}},
		{"no complete entry", []types.PutEventsRequestEntry{{Source: aws.String("com.example")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: tt.entries})
			if code := apiCode(t, err); code != "ValidationException" {
				t.Fatalf("code = %s, want ValidationException", code)
			}
		})
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d invalid requests recorded as calls", n)
	}
}

func TestRejectsUnsignedAndUnknownRequests(t *testing.T) {
	srv := eventstest.NewServer(t)
	anon := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}})
	_, err := anon.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("a.b", "T", `{}`)}})
	if code := apiCode(t, err); code != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: code = %s", code)
	}
	_, err = client(t, srv).ListRules(t.Context(), &eventbridge.ListRulesInput{})
	if code := apiCode(t, err); code != "UnknownOperationException" {
		t.Fatalf("ListRules: code = %s", code)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Fatalf("GET / answered %d", resp.StatusCode)
	}
}

func TestInjectedFailures(t *testing.T) {
	srv := eventstest.NewServer(t)
	srv.FailNext(1, "ThrottlingException")
	srv.FailFunc(func(e eventstest.Entry) string {
		if e.DetailType == "Bad" {
			return "InternalFailure"
		}
		return ""
	})
	out, err := client(t, srv).PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry("a.b", "Bad", `{}`), entry("a.b", "One", `{}`), entry("a.b", "Two", `{}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range out.Entries {
		codes = append(codes, aws.ToString(r.ErrorCode))
	}
	if diff := cmp.Diff([]string{"InternalFailure", "ThrottlingException", ""}, codes); diff != "" {
		t.Fatalf("codes (-want +got):\n%s", diff)
	}
	if got := srv.Entries(); len(got) != 1 || got[0].DetailType != "Two" {
		t.Fatalf("accepted = %+v", got)
	}
}
