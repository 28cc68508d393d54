package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
)

// emfDoc is an Embedded Metric Format document, decoded.
type emfDoc struct {
	Timestamp  int64
	Namespace  string
	Dimensions [][]string
	Metrics    []map[string]any // {"Name":…, "Unit":…}
	Fields     map[string]any
}

func decodeEMF(t *testing.T, line map[string]any) emfDoc {
	t.Helper()
	aws, ok := line["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("document has no _aws: %v", line)
	}
	cwm := aws["CloudWatchMetrics"].([]any)
	if len(cwm) != 1 {
		t.Fatalf("%d metric directives, want 1", len(cwm))
	}
	dir := cwm[0].(map[string]any)
	d := emfDoc{Timestamp: int64(aws["Timestamp"].(float64)), Namespace: dir["Namespace"].(string), Fields: line}
	for _, set := range dir["Dimensions"].([]any) {
		var names []string
		for _, n := range set.([]any) {
			names = append(names, n.(string))
		}
		d.Dimensions = append(d.Dimensions, names)
	}
	for _, m := range dir["Metrics"].([]any) {
		d.Metrics = append(d.Metrics, m.(map[string]any))
	}
	// Every dimension and metric named must be a field of the document, as EMF requires.
	for _, set := range d.Dimensions {
		for _, n := range set {
			if _, ok := line[n].(string); !ok {
				t.Errorf("dimension %q has no string field", n)
			}
		}
	}
	for _, m := range d.Metrics {
		if _, ok := line[m["Name"].(string)]; !ok {
			t.Errorf("metric %q has no field", m["Name"])
		}
	}
	return d
}

func invokeWithMetrics(t *testing.T, opts *runtime.MetricsOptions, record func(*runtime.MetricSet)) []emfDoc {
	t.Helper()
	var out syncBuffer
	o := *opts
	o.Writer = &out
	o.NoColdStartMetric = true
	h := runtime.NewHandler(func(ctx context.Context, _ struct{}) (struct{}, error) {
		record(runtime.Metrics(ctx))
		return struct{}{}, nil
	}, &runtime.Options{Metrics: &o, Logger: slog.New(slog.DiscardHandler)})
	if _, err := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "thumbs"}).Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var docs []emfDoc
	for _, line := range out.lines(t) {
		docs = append(docs, decodeEMF(t, line))
	}
	return docs
}

func TestMetricsDocument(t *testing.T) {
	before := time.Now().UnixMilli()
	docs := invokeWithMetrics(t, &runtime.MetricsOptions{Namespace: "petu", Dimensions: map[string]string{"Stage": "prod"}}, func(m *runtime.MetricSet) {
		m.Add("Thumbnails", runtime.UnitCount, 2)
		m.Add("Latency", runtime.UnitMilliseconds, 12.5)
		m.Add("Latency", runtime.UnitSeconds, 7) // the first unit stays
		m.Add("Bad", runtime.UnitCount, math.NaN())
		m.SetDimension("Format", "webp")
		m.SetProperty("videoId", "v-42")
	})
	if len(docs) != 1 {
		t.Fatalf("%d documents, want 1", len(docs))
	}
	d := docs[0]
	if d.Timestamp < before || d.Timestamp > time.Now().UnixMilli() {
		t.Errorf("Timestamp %d is not the flush time", d.Timestamp)
	}
	if d.Namespace != "petu" {
		t.Errorf("Namespace = %q", d.Namespace)
	}
	if diff := cmp.Diff([][]string{{"Format", "FunctionName", "Stage"}}, d.Dimensions); diff != "" {
		t.Errorf("Dimensions (-want +got):\n%s", diff)
	}
	wantMetrics := []map[string]any{{"Name": "Thumbnails", "Unit": "Count"}, {"Name": "Latency", "Unit": "Milliseconds"}}
	if diff := cmp.Diff(wantMetrics, d.Metrics); diff != "" {
		t.Errorf("Metrics (-want +got):\n%s", diff)
	}
	for k, want := range map[string]any{
		"Thumbnails": 2.0, "Latency": []any{12.5, 7.0}, "Format": "webp", "Stage": "prod",
		"FunctionName": "thumbs", "videoId": "v-42",
	} {
		if diff := cmp.Diff(want, d.Fields[k]); diff != "" {
			t.Errorf("field %s (-want +got):\n%s", k, diff)
		}
	}
	if id, _ := d.Fields["requestId"].(string); !uuidRE.MatchString(id) {
		t.Errorf("requestId = %v", d.Fields["requestId"])
	}
	if _, ok := d.Fields["Bad"]; ok {
		t.Error("NaN value written")
	}
}

func TestMetricsSplitAt100(t *testing.T) {
	docs := invokeWithMetrics(t, &runtime.MetricsOptions{}, func(m *runtime.MetricSet) {
		for i := range 250 {
			m.Add(fmt.Sprintf("m%03d", i), runtime.UnitCount, float64(i))
		}
		for i := range 230 {
			m.Add("Sizes", runtime.UnitBytes, float64(i))
		}
	})
	seen := map[string]int{}
	var sizes []float64
	for i, d := range docs {
		if d.Namespace != "servous" {
			t.Errorf("doc %d: default namespace %q, want servous", i, d.Namespace)
		}
		if len(d.Metrics) > 100 {
			t.Errorf("doc %d has %d metrics, EMF allows 100", i, len(d.Metrics))
		}
		names := map[string]bool{}
		for _, m := range d.Metrics {
			name := m["Name"].(string)
			if names[name] {
				t.Errorf("doc %d names %s twice", i, name)
			}
			names[name] = true
			seen[name]++
			if name == "Sizes" {
				vs, ok := d.Fields[name].([]any)
				if !ok || len(vs) > 100 {
					t.Errorf("doc %d: Sizes has %d values, EMF allows 100", i, len(vs))
				}
				for _, v := range vs {
					sizes = append(sizes, v.(float64))
				}
			} else if d.Fields[name] != float64(mustAtoi(t, name[1:])) {
				t.Errorf("doc %d: %s = %v", i, name, d.Fields[name])
			}
		}
	}
	if len(seen) != 251 {
		t.Errorf("%d distinct metrics written, want 251", len(seen))
	}
	for name, n := range seen {
		if name != "Sizes" && n != 1 {
			t.Errorf("%s written %d times", name, n)
		}
	}
	if len(sizes) != 230 || !slices.IsSorted(sizes) || sizes[229] != 229 {
		t.Errorf("Sizes values: got %d, want 0..229 in order", len(sizes))
	}
	// The first 100 values of each of the 251 metrics: 3 documents; Sizes' next 100 values: 1;
	// its last 30: 1.
	if len(docs) != 5 {
		t.Errorf("%d documents, want 5", len(docs))
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMetricsNothingRecorded(t *testing.T) {
	if docs := invokeWithMetrics(t, &runtime.MetricsOptions{}, func(*runtime.MetricSet) {}); len(docs) != 0 {
		t.Errorf("%d documents written for an invocation without metrics", len(docs))
	}
}

func TestMetricsColdStart(t *testing.T) {
	var out syncBuffer
	h := runtime.NewHandler(func(ctx context.Context, _ struct{}) (struct{}, error) {
		return struct{}{}, nil
	}, &runtime.Options{Metrics: &runtime.MetricsOptions{Writer: &out}, Logger: slog.New(slog.DiscardHandler)})
	l := runtime.NewLocal(h, nil)
	for range 3 {
		if _, err := l.Invoke(t.Context(), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	lines := out.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d documents, want 1 (the cold start)", len(lines))
	}
	if d := decodeEMF(t, lines[0]); d.Fields["ColdStart"] != 1.0 {
		t.Errorf("ColdStart = %v, want 1", d.Fields["ColdStart"])
	}
}

func TestMetricsDimensionLimit(t *testing.T) {
	dims := map[string]string{}
	for i := range 40 {
		dims[fmt.Sprintf("D%02d", i)] = "x"
	}
	docs := invokeWithMetrics(t, &runtime.MetricsOptions{Dimensions: dims}, func(m *runtime.MetricSet) {
		m.Add("N", runtime.UnitCount, 1)
	})
	set := docs[0].Dimensions[0]
	if len(set) != 30 || !slices.Contains(set, "FunctionName") {
		t.Errorf("dimension set has %d names (FunctionName kept: %v), want 30 with FunctionName", len(set), slices.Contains(set, "FunctionName"))
	}
}
