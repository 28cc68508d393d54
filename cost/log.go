package cost

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/runtime"
)

// UsageMessage is the message of the log records [LogUsage] writes.
const UsageMessage = "metered usage"

// UsageKey is the attribute of a [LogUsage] record that holds the units, as a [Usage] in
// its JSON form.
const UsageKey = "usage"

// LogUsage returns middleware that logs, after each invocation, the units metered since
// its previous record, as one record at INFO, whatever the logger's level, through logger (nil means runtime.Logger of the
// invocation's context, which under runtime.Start writes Lambda's JSON log format to
// stdout). The record's shape is stable:
//
//	{"timestamp":"…","level":"INFO","message":"metered usage","requestId":"…",
//	 "usage":[{"service":"lambda","resource":"api","unit":"requests","quantity":1}, …]}
//
// (slog's default handlers write "time" and "msg" instead of "timestamp" and "message";
// [ReadUsage] reads both.) Put it outside [Lambda], so each record includes its invocation's
// request and duration. Each record holds what was metered since the record before it, so
// the records of a process add up to everything its meter metered, whatever ran
// concurrently; with one invocation at a time per execution environment, as Lambda runs
// them, a record is exactly its invocation's units (and the storage integrated since the
// previous record). An invocation that metered nothing writes no record.
func LogUsage(m *Meter, logger *slog.Logger) runtime.Middleware {
	return func(next lambda.Handler) lambda.Handler {
		var (
			mu   sync.Mutex
			last Usage
		)
		logDelta := func(ctx context.Context) {
			mu.Lock()
			now := m.Usage()
			delta := now.Sub(last)
			last = now
			mu.Unlock()
			if len(delta) == 0 {
				return
			}
			l := logger
			if l == nil {
				l = runtime.Logger(ctx)
			}
			// Past the level check: a record dropped at AWS_LAMBDA_LOG_LEVEL=WARN would
			// lose its units from every sum.
			rec := slog.NewRecord(time.Now(), slog.LevelInfo, UsageMessage, 0)
			rec.AddAttrs(slog.Any(UsageKey, delta))
			l.Handler().Handle(ctx, rec)
		}
		return runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			// Deferred, so a panicking invocation's units are logged as it unwinds.
			defer logDelta(ctx)
			return next.Invoke(ctx, payload)
		})
	}
}

// ReadUsage sums the usage records [LogUsage] wrote in r, a function's output or log: one
// JSON object a line, possibly after a prefix (lines that carry no usage record, such as
// other log records or Lambda's START and REPORT lines, are skipped). The error is r's, or
// one for a usage record that does not parse.
func ReadUsage(r io.Reader) (Usage, error) {
	total := make(Usage)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		i := bytes.IndexByte(line, '{')
		if i < 0 || !bytes.Contains(line, []byte(UsageMessage)) {
			continue
		}
		var rec struct {
			Msg     string          `json:"msg"`
			Message string          `json:"message"`
			Usage   json.RawMessage `json:"usage"`
		}
		if json.Unmarshal(line[i:], &rec) != nil || (rec.Msg != UsageMessage && rec.Message != UsageMessage) || rec.Usage == nil {
			continue
		}
		var u Usage
		if err := json.Unmarshal(rec.Usage, &u); err != nil {
			return total, fmt.Errorf("cost: line %d: %w", n, err)
		}
		total = total.Add(u)
	}
	if err := sc.Err(); err != nil {
		return total, fmt.Errorf("cost: reading usage: %w", err)
	}
	return total, nil
}
