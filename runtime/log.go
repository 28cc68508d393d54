package runtime

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// NewLogger returns a logger writing JSON lines to w in Lambda's JSON log format: keys
// timestamp, level and message (lambdacontext.ReplaceAttr), at the level of the function's
// AWS_LAMBDA_LOG_LEVEL (DEBUG, INFO, WARN or ERROR; INFO when unset), with the invocation's
// fields added by [NewLogHandler].
//
// It does not use lambdacontext.NewLogHandler, which writes text unless the function's log
// format is JSON and always writes to stdout.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       LogLevel(),
		ReplaceAttr: lambdacontext.ReplaceAttr,
	})))
}

// LogLevel returns the level named by AWS_LAMBDA_LOG_LEVEL, Lambda's application log level
// setting, with the names and INFO default lambdacontext uses.
func LogLevel() slog.Level {
	switch os.Getenv("AWS_LAMBDA_LOG_LEVEL") {
	case "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// NewLogHandler wraps next so that each record logged with an invocation's context carries
// requestId (from lambdacontext, like lambdacontext's handler), functionName, coldStart and,
// when Lambda passed one, traceId (the X-Ray trace's Root id). Wrap a handler that does not
// add requestId itself.
func NewLogHandler(next slog.Handler) slog.Handler {
	return &logHandler{next: next}
}

type logHandler struct {
	next slog.Handler
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			r.AddAttrs(
				slog.String("requestId", lc.AwsRequestID),
				slog.String("functionName", FunctionName(ctx)),
				slog.Bool("coldStart", ColdStart(ctx)),
			)
			if id := traceRoot(TraceID(ctx)); id != "" {
				r.AddAttrs(slog.String("traceId", id))
			}
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{next: h.next.WithAttrs(attrs)}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(name)}
}

// traceRoot returns the Root id of an X-Ray trace header ("Root=1-…;Parent=…;Sampled=1").
func traceRoot(header string) string {
	for part := range strings.SplitSeq(header, ";") {
		if v, ok := strings.CutPrefix(part, "Root="); ok {
			return v
		}
	}
	return ""
}
