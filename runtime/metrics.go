package runtime

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Unit is a CloudWatch metric unit.
type Unit string

// The CloudWatch units most functions need; any unit CloudWatch accepts may be used.
const (
	UnitNone           Unit = "None"
	UnitCount          Unit = "Count"
	UnitPercent        Unit = "Percent"
	UnitSeconds        Unit = "Seconds"
	UnitMilliseconds   Unit = "Milliseconds"
	UnitMicroseconds   Unit = "Microseconds"
	UnitBytes          Unit = "Bytes"
	UnitKilobytes      Unit = "Kilobytes"
	UnitMegabytes      Unit = "Megabytes"
	UnitCountPerSecond Unit = "Count/Second"
	UnitBytesPerSecond Unit = "Bytes/Second"
)

// Embedded Metric Format limits.
const (
	maxMetricsPerDocument = 100
	maxValuesPerMetric    = 100
	maxDimensions         = 30
)

// MetricsOptions configures [EmitMetrics]. A nil *MetricsOptions means the defaults documented
// on each field.
type MetricsOptions struct {
	// Namespace is the CloudWatch namespace of the metrics. Default: "servous".
	Namespace string
	// Dimensions are added to every document, beside FunctionName (the function's name),
	// which is always a dimension. At most 29 are kept, in name order, as CloudWatch allows
	// 30 dimensions.
	Dimensions map[string]string
	// Writer receives the documents, one JSON line each. Default: os.Stdout, where Lambda
	// passes them to CloudWatch Logs, which extracts the metrics.
	Writer io.Writer
	// NoColdStartMetric turns off the ColdStart count metric emitted on a cold start.
	NoColdStartMetric bool
}

// MetricSet collects the metrics of one invocation. Its methods are safe for concurrent use,
// and do nothing on a nil *MetricSet, so a handler run without [EmitMetrics] need not check.
type MetricSet struct {
	mu         sync.Mutex
	metrics    map[string]*metric
	order      []string
	dimensions map[string]string
	properties map[string]any
}

type metric struct {
	unit   Unit
	values []float64
}

// Metrics returns the invocation's metric set, which [EmitMetrics] writes when the invocation
// ends, or nil, on which every method does nothing, when ctx went through no EmitMetrics.
func Metrics(ctx context.Context) *MetricSet {
	if inv := invocationFrom(ctx); inv != nil && inv.hasMetrics {
		return &inv.metrics
	}
	return nil
}

// Add records value for the metric name. Adding to a name again records another value (EMF
// writes them as an array); the unit of the first Add of a name is the one kept. NaN and
// infinite values, which CloudWatch rejects, are dropped.
func (m *MetricSet) Add(name string, unit Unit, value float64) {
	if m == nil || math.IsNaN(value) || math.IsInf(value, 0) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.metrics == nil {
		m.metrics = map[string]*metric{}
	}
	mt, ok := m.metrics[name]
	if !ok {
		mt = &metric{unit: unit}
		m.metrics[name] = mt
		m.order = append(m.order, name)
	}
	mt.values = append(mt.values, value)
}

// SetDimension adds a dimension to this invocation's documents, beside the configured ones.
func (m *MetricSet) SetDimension(name, value string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dimensions == nil {
		m.dimensions = map[string]string{}
	}
	m.dimensions[name] = value
}

// SetProperty adds a field to this invocation's documents that is logged but is not a metric
// or dimension, to find the log line by (an order id, a key). requestId and traceId are set
// already.
func (m *MetricSet) SetProperty(name string, value any) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.properties == nil {
		m.properties = map[string]any{}
	}
	m.properties[name] = value
}

// EmitMetrics returns middleware that gives each invocation a [MetricSet] ([Metrics]) and
// writes what it collected when the invocation ends, whatever way it ends, as CloudWatch
// Embedded Metric Format documents: at most 100 metrics per document and 100 values per
// metric, as EMF requires, more documents when there are more. An invocation that recorded
// nothing writes nothing. A nil opts means the defaults of [MetricsOptions].
func EmitMetrics(opts *MetricsOptions) Middleware {
	var o MetricsOptions
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = "servous"
	}
	if o.Writer == nil {
		o.Writer = os.Stdout
	}
	e := &emitter{o: o}
	return func(next lambda.Handler) lambda.Handler {
		return InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			ctx, inv := withInvocation(ctx)
			inv.hasMetrics = true
			defer e.flush(ctx, inv)
			return next.Invoke(ctx, payload)
		})
	}
}

type emitter struct {
	o  MetricsOptions
	mu sync.Mutex // one Write per document, documents of concurrent invocations not mixed
}

func (e *emitter) flush(ctx context.Context, inv *invocation) {
	// Known by now whichever way the middleware is ordered.
	if inv.coldStart && !e.o.NoColdStartMetric {
		inv.metrics.Add("ColdStart", UnitCount, 1)
	}
	docs := inv.metrics.documents(ctx, &e.o)
	if len(docs) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range docs {
		_, _ = e.o.Writer.Write(d)
	}
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// documents renders the set as EMF JSON lines.
func (m *MetricSet) documents(ctx context.Context, o *MetricsOptions) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.order) == 0 {
		return nil
	}
	now := time.Now()

	dims := map[string]string{}
	maps.Copy(dims, o.Dimensions)
	maps.Copy(dims, m.dimensions)
	dims["FunctionName"] = FunctionName(ctx)
	names := slices.Sorted(maps.Keys(dims))
	if len(names) > maxDimensions {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "FunctionName" })[:maxDimensions-1]
		names = append(names, "FunctionName")
	}

	// Split each metric's values into chunks of at most maxValuesPerMetric, then give chunk i of
	// every metric to the i-th group of documents, maxMetricsPerDocument metrics each, so no
	// document names a metric twice.
	type entry struct {
		name   string
		unit   Unit
		values []float64
	}
	var rounds [][]entry
	for _, name := range m.order {
		mt := m.metrics[name]
		for i, chunk := 0, mt.values; len(chunk) > 0; i++ {
			n := min(len(chunk), maxValuesPerMetric)
			if i == len(rounds) {
				rounds = append(rounds, nil)
			}
			rounds[i] = append(rounds[i], entry{name, mt.unit, chunk[:n]})
			chunk = chunk[n:]
		}
	}

	var docs [][]byte
	for _, round := range rounds {
		for part := range slices.Chunk(round, maxMetricsPerDocument) {
			doc := map[string]any{}
			maps.Copy(doc, m.properties)
			doc["requestId"] = RequestID(ctx)
			if id := TraceID(ctx); id != "" {
				doc["traceId"] = traceRoot(id)
			}
			for _, n := range names {
				doc[n] = dims[n]
			}
			dir := emfDirective{Namespace: o.Namespace, Dimensions: [][]string{names}}
			for _, e := range part {
				dir.Metrics = append(dir.Metrics, emfMetric{Name: e.name, Unit: e.unit})
				if len(e.values) == 1 {
					doc[e.name] = e.values[0]
				} else {
					doc[e.name] = e.values
				}
			}
			doc["_aws"] = emfMetadata{Timestamp: now.UnixMilli(), CloudWatchMetrics: []emfDirective{dir}}
			b, err := json.Marshal(doc)
			if err != nil {
				// Only a property can fail to encode; drop the properties rather than the metrics.
				for k := range m.properties {
					delete(doc, k)
				}
				if b, err = json.Marshal(doc); err != nil {
					continue
				}
			}
			docs = append(docs, append(b, '\n'))
		}
	}
	return docs
}
