package awsdynamodb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

// withholder stands between the SDK and dynalite and, as DynamoDB does under load, processes
// only part of each batch request, returning the rest as unprocessed. dynalite itself always
// processes everything, so the adapter's retries would otherwise go untested.
type withholder struct {
	proxy    *httputil.ReverseProxy
	never    bool // process nothing at all
	withheld atomic.Int64
}

func newWithholder(t *testing.T, endpoint string, never bool) (*httptest.Server, *withholder) {
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	w := &withholder{proxy: httputil.NewSingleHostReverseProxy(u), never: never}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return srv, w
}

func (w *withholder) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	if op != "BatchWriteItem" && op != "BatchGetItem" {
		w.proxy.ServeHTTP(rw, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	var kept, withheld json.RawMessage
	if op == "BatchWriteItem" {
		var items map[string][]json.RawMessage
		_ = json.Unmarshal(req["RequestItems"], &items)
		keptItems, heldItems := map[string][]json.RawMessage{}, map[string][]json.RawMessage{}
		for name, reqs := range items {
			n := w.split(len(reqs))
			keptItems[name], heldItems[name] = reqs[:n], reqs[n:]
			if len(reqs[n:]) == 0 {
				delete(heldItems, name)
			}
			if n == 0 {
				delete(keptItems, name)
			}
		}
		kept, _ = json.Marshal(keptItems)
		withheld, _ = json.Marshal(heldItems)
	} else {
		var items map[string]map[string]json.RawMessage
		_ = json.Unmarshal(req["RequestItems"], &items)
		keptItems, heldItems := map[string]any{}, map[string]any{}
		for name, ka := range items {
			var keys []json.RawMessage
			_ = json.Unmarshal(ka["Keys"], &keys)
			n := w.split(len(keys))
			k, h := map[string]any{}, map[string]any{}
			for f, v := range ka {
				k[f], h[f] = v, v
			}
			k["Keys"], h["Keys"] = keys[:n], keys[n:]
			if n > 0 {
				keptItems[name] = k
			}
			if n < len(keys) {
				heldItems[name] = h
			}
		}
		kept, _ = json.Marshal(keptItems)
		withheld, _ = json.Marshal(heldItems)
	}
	unprocessed := "UnprocessedItems"
	empty := `{"UnprocessedItems":{}}`
	if op == "BatchGetItem" {
		unprocessed = "UnprocessedKeys"
		empty = `{"Responses":{},"UnprocessedKeys":{}}`
	}
	var resp map[string]json.RawMessage
	if string(kept) == "{}" {
		_ = json.Unmarshal([]byte(empty), &resp)
	} else {
		req["RequestItems"] = kept
		fwd, _ := json.Marshal(req)
		r.Body = io.NopCloser(bytes.NewReader(fwd))
		r.ContentLength = int64(len(fwd))
		rec := httptest.NewRecorder()
		w.proxy.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			rw.WriteHeader(rec.Code)
			_, _ = rw.Write(rec.Body.Bytes())
			return
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &resp)
	}
	resp[unprocessed] = withheld
	out, _ := json.Marshal(resp)
	// The body changed, so its CRC32 header would not match; send none.
	rw.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = rw.Write(out)
}

// split returns how many of n requests to process: none when never, else about two
// thirds but at least one, so that every request makes progress and leaves some behind.
func (w *withholder) split(n int) int {
	if w.never {
		w.withheld.Add(int64(n))
		return 0
	}
	k := max(1, n*2/3)
	w.withheld.Add(int64(n - k))
	return k
}

func TestUnprocessedAreRetried(t *testing.T) {
	ctx := t.Context()
	name := fmt.Sprintf("unprocessed-%d", tableSeq.Add(1))
	if err := dynalite.CreateTable(ctx, name, tabletest.Plain); err != nil {
		t.Fatal(err)
	}
	srv, w := newWithholder(t, dynalite.Endpoint, false)
	var rec tabletest.CallRecorder
	tb, err := awsdynamodb.New[tabletest.Item](tabletest.NewDynaliteClient(srv.URL), name, &awsdynamodb.Options{Schema: &tabletest.Plain, OnCall: rec.Record})
	if err != nil {
		t.Fatal(err)
	}
	const n = 120
	items := make([]tabletest.Item, n)
	keys := make([]table.Key, n)
	for i := range items {
		items[i] = tabletest.Item{PK: "p", SK: fmt.Sprintf("%03d", i)}
		keys[i] = table.Key{Partition: table.String("p"), Sort: table.String(items[i].SK)}
	}
	if err := tb.BatchWrite(ctx, items, nil); err != nil {
		t.Fatalf("BatchWrite: %v", err)
	}
	got, err := tb.BatchGet(ctx, keys, nil)
	if err != nil {
		t.Fatalf("BatchGet: %v", err)
	}
	if len(got) != n {
		t.Errorf("BatchGet after withheld writes and reads found %d items, want %d", len(got), n)
	}
	if w.withheld.Load() < n/3 {
		t.Errorf("the proxy withheld only %d requests; the test did not exercise retries", w.withheld.Load())
	}
	// Each resend is a request of its own, billed for the writes and reads it processed:
	// every item once, a write unit and half a read unit each.
	requests, units := map[string]int{}, map[string]float64{}
	for _, c := range rec.Take() {
		requests[c.Op]++
		units[c.Op] += c.ReadUnits + c.WriteUnits
	}
	if requests["BatchWriteItem"] <= (n+24)/25 || requests["BatchGetItem"] <= (n+99)/100 {
		t.Errorf("%v calls reported; want more than one a batch, for the resends", requests)
	}
	if units["BatchWriteItem"] != n || units["BatchGetItem"] != n/2 {
		t.Errorf("units reported %v, want %d write units and %d read units", units, n, n/2)
	}
	// Everything is really stored: read past the proxy.
	direct, err := awsdynamodb.New[tabletest.Item](dynalite.Client, name, &awsdynamodb.Options{Schema: &tabletest.Plain})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := direct.Query(ctx, table.String("p"), nil); err != nil || len(p.Items) != n {
		t.Errorf("stored %d items, %v; want %d", len(p.Items), err, n)
	}
}

func TestUnprocessedUntilContextEnds(t *testing.T) {
	name := fmt.Sprintf("unprocessed-%d", tableSeq.Add(1))
	if err := dynalite.CreateTable(t.Context(), name, tabletest.Plain); err != nil {
		t.Fatal(err)
	}
	srv, _ := newWithholder(t, dynalite.Endpoint, true)
	tb, err := awsdynamodb.New[tabletest.Item](tabletest.NewDynaliteClient(srv.URL), name, &awsdynamodb.Options{Schema: &tabletest.Plain})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err = tb.BatchWrite(ctx, []tabletest.Item{{PK: "p", SK: "s"}}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("BatchWrite that is never processed: %v, want the context's deadline", err)
	}
	ctx2, cancel2 := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel2()
	_, err = tb.BatchGet(ctx2, []table.Key{{Partition: table.String("p"), Sort: table.String("s")}}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("BatchGet that is never processed: %v, want the context's deadline", err)
	}
}
