package transcodetest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
	"github.com/servous/servous/transcode/transcodetest"
)

func validInput() *mediaconvert.CreateJobInput {
	return &mediaconvert.CreateJobInput{
		Role: aws.String("arn:aws:iam::111122223333:role/MediaConvertRole"),
		Settings: awsmediaconvert.Settings(&transcode.Job{
			Input:      transcode.Object{Bucket: "input", Key: "a.mp4"},
			Renditions: []transcode.Rendition{{Name: "-720p", Height: 720}, {Name: "-360p", Height: 360, Bitrate: 800_000}},
			Thumbnail:  &transcode.Thumbnail{Name: "-t"},
			Output:     transcode.Destination{Bucket: "out", Prefix: "p/"},
		}),
	}
}

func TestMediaConvertRejectsBadSettings(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	client := mediaconvert.New(mediaconvert.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	h264 := func(in *mediaconvert.CreateJobInput) *types.H264Settings {
		return in.Settings.OutputGroups[0].Outputs[0].VideoDescription.CodecSettings.H264Settings
	}
	tests := []struct {
		name   string
		modify func(in *mediaconvert.CreateJobInput)
		want   string
	}{
		{"empty role", func(in *mediaconvert.CreateJobInput) { in.Role = aws.String("") }, "/role: Required"},
		{"role not an ARN", func(in *mediaconvert.CreateJobInput) { in.Role = aws.String("admin") }, "/role: Should match"},
		{"no inputs", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs = nil }, "/settings/inputs: Should have at least 1"},
		{"bad file input", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs[0].FileInput = aws.String("s3:/input/a.mp4") }, "/settings/inputs/0/fileInput: Should match"},
		{"missing file input", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs[0].FileInput = nil }, "/settings/inputs/0/fileInput: Required"},
		{"no destination", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].OutputGroupSettings.FileGroupSettings.Destination = nil
		}, "fileGroupSettings/destination: Required"},
		{"no output groups", func(in *mediaconvert.CreateJobInput) { in.Settings.OutputGroups = nil }, "/settings/outputGroups: Should have at least 1"},
		{"bitrate too low", func(in *mediaconvert.CreateJobInput) { h264(in).MaxBitrate = aws.Int32(10) }, "h264Settings/maxBitrate: Should be greater than or equal to 1000"},
		{"qvbr level", func(in *mediaconvert.CreateJobInput) { h264(in).QvbrSettings.QvbrQualityLevel = aws.Int32(11) }, "qvbrQualityLevel: Should be less than or equal to 10"},
		{"qvbr without max", func(in *mediaconvert.CreateJobInput) { h264(in).MaxBitrate = nil }, "maxBitrate: Required when rateControlMode is QVBR"},
		{"vbr without bitrate", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[1].VideoDescription.CodecSettings.H264Settings.Bitrate = nil
		}, "outputs/1/videoDescription/codecSettings/h264Settings/bitrate: Required"},
		{"width too large", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[0].VideoDescription.Width = aws.Int32(100000)
		}, "outputs/0/videoDescription/width: Should be less than or equal to 8192"},
		{"height too small", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[0].VideoDescription.Height = aws.Int32(0)
		}, "outputs/0/videoDescription/height: Should be greater than or equal to 32"},
		{"name modifier collision", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[1].NameModifier = aws.String("-720p")
		}, "outputs/1/nameModifier: Outputs in the same output group must have unique name modifiers"},
		{"missing name modifier", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[1].NameModifier = nil
		}, "outputs/1/nameModifier: Required"},
		{"frame capture quality", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[2].VideoDescription.CodecSettings.FrameCaptureSettings.Quality = aws.Int32(0)
		}, "frameCaptureSettings/quality: Should be greater than or equal to 1"},
		{"aac bitrate", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[0].AudioDescriptions[0].CodecSettings.AacSettings.Bitrate = aws.Int32(1)
		}, "aacSettings/bitrate: Should be greater than or equal to 6000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.modify(in)
			_, err := client.CreateJob(t.Context(), in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" {
				t.Fatalf("CreateJob = %v, want BadRequestException", err)
			}
			if !strings.Contains(ae.ErrorMessage(), tt.want) {
				t.Errorf("message %q does not say %q", ae.ErrorMessage(), tt.want)
			}
		})
	}
	if _, err := client.CreateJob(t.Context(), validInput()); err != nil {
		t.Errorf("CreateJob(valid) = %v", err)
	}
}

func TestMediaConvertRequiresSignature(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/2017-08-29/jobs/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "ForbiddenException" {
		t.Errorf("unsigned GetJob = %d %q, want 403 ForbiddenException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
