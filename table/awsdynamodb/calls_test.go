package awsdynamodb_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

// wire sends requests to dynalite and keeps their bodies. With allOld set it also gives
// dynalite what DynamoDB does and dynalite lacks: a write refused by its condition that asked
// for ReturnValuesOnConditionCheckFailure ALL_OLD gets the stored item in its
// ConditionalCheckFailedException, read from dynalite with a consistent GetItem.
type wire struct {
	allOld bool

	mu     sync.Mutex
	bodies []map[string]json.RawMessage
	// units sums the CapacityUnits of the ConsumedCapacity of the answers.
	units float64
}

func (w *wire) client() *dynamodb.Client {
	return dynamodb.New(dynalite.Client.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: w}
	})
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.bodies = append(w.bodies, in)
	w.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK {
		if err := w.count(resp); err != nil {
			return nil, err
		}
	}
	if err != nil || !w.allOld || resp.StatusCode != http.StatusBadRequest || string(in["ReturnValuesOnConditionCheckFailure"]) != `"ALL_OLD"` {
		return resp, err
	}
	errBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(errBody, &out); err != nil || !strings.HasSuffix(string(out["__type"]), `#ConditionalCheckFailedException"`) {
		resp.Body = io.NopCloser(bytes.NewReader(errBody))
		return resp, nil
	}
	if stored, err := w.stored(r, in); err != nil {
		return nil, err
	} else if stored != nil {
		out["Item"] = stored
	}
	errBody, _ = json.Marshal(out)
	resp.Body = io.NopCloser(bytes.NewReader(errBody))
	resp.ContentLength = int64(len(errBody))
	resp.Header.Set("Content-Length", fmt.Sprint(len(errBody)))
	return resp, nil
}

// count adds the capacity units an answer reports, one entry or a list of them, to w.units.
func (w *wire) count(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var out struct{ ConsumedCapacity json.RawMessage }
	if err := json.Unmarshal(body, &out); err != nil || out.ConsumedCapacity == nil {
		return err
	}
	type entry struct{ CapacityUnits float64 }
	var entries []entry
	if out.ConsumedCapacity[0] == '[' {
		err = json.Unmarshal(out.ConsumedCapacity, &entries)
	} else {
		var e entry
		err = json.Unmarshal(out.ConsumedCapacity, &e)
		entries = append(entries, e)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range entries {
		w.units += e.CapacityUnits
	}
	return err
}

// stored returns the item stored under the key of a write request, in DynamoDB's JSON, or
// nil. The key is the request's Key, or the key attributes of its Item (pk and sk, as the
// test tables' schemas name them).
func (w *wire) stored(r *http.Request, in map[string]json.RawMessage) (json.RawMessage, error) {
	key := in["Key"]
	if key == nil {
		var it map[string]json.RawMessage
		if err := json.Unmarshal(in["Item"], &it); err != nil {
			return nil, err
		}
		k := map[string]json.RawMessage{}
		for _, name := range []string{"pk", "sk"} {
			if v, ok := it[name]; ok {
				k[name] = v
			}
		}
		key, _ = json.Marshal(k)
	}
	get, _ := json.Marshal(map[string]any{"TableName": in["TableName"], "Key": key, "ConsistentRead": true})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, dynalite.Endpoint, bytes.NewReader(get))
	if err != nil {
		return nil, err
	}
	// dynalite wants a signed request's headers, and checks no signature.
	req.Header = r.Header.Clone()
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	req.Header.Del("Content-Length")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct{ Item json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the stored item back: status %d, %v", resp.StatusCode, err)
	}
	return out.Item, nil
}

func (w *wire) takeBodies() []map[string]json.RawMessage {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.bodies
	w.bodies = nil
	return b
}

// newWireTable creates a table of schema s and returns the adapter over it through client,
// reporting to rec when rec is not nil.
func newWireTable(t *testing.T, client *dynamodb.Client, s table.Schema, rec *tabletest.CallRecorder) *awsdynamodb.Table[tabletest.Item] {
	t.Helper()
	name := tableName(t)
	if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
		t.Fatal(err)
	}
	o := &awsdynamodb.Options{Schema: &s}
	if rec != nil {
		o.OnCall = rec.Record
	}
	tb, err := awsdynamodb.New[tabletest.Item](client, name, o)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestMeteringAsks checks what requests ask of DynamoDB: without OnCall nothing more than
// before; with it, the consumed capacity (TOTAL) of every request, and the stored item
// (ALL_OLD) of every conditional write's refusal; that every request answered is reported,
// once; and that the units reported add up to those the server returned.
func TestMeteringAsks(t *testing.T) {
	for _, metered := range []bool{false, true} {
		t.Run(fmt.Sprintf("metered=%v", metered), func(t *testing.T) {
			ctx := t.Context()
			w := &wire{}
			var rec *tabletest.CallRecorder
			if metered {
				rec = &tabletest.CallRecorder{}
			}
			tb := newWireTable(t, w.client(), tabletest.Versioned, rec)
			key := table.Key{Partition: table.String("a"), Sort: table.String("1")}
			it := tabletest.Item{PK: "a", SK: "1", Note: "x"}
			steps := []error{
				tb.Create(ctx, &it),
				tb.Put(ctx, &it, &table.PutOptions{If: table.Exists("note")}),
				func() error { _, err := tb.Get(ctx, key, nil); return err }(),
				func() error { _, err := tb.Query(ctx, table.String("a"), &table.QueryOptions{Limit: 1}); return err }(),
				func() error {
					_, err := tb.Update(ctx, key, []table.Change{table.Set("note", "y")}, &table.UpdateOptions{If: table.Exists("note")})
					return err
				}(),
				tb.BatchWrite(ctx, []tabletest.Item{{PK: "b", SK: "1"}}, nil),
				func() error { _, err := tb.BatchGet(ctx, []table.Key{key}, nil); return err }(),
				tb.Delete(ctx, key, &table.DeleteOptions{If: table.Exists("note")}),
			}
			for i, err := range steps {
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			bodies := w.takeBodies()
			for _, b := range bodies {
				capacity, allOld := string(b["ReturnConsumedCapacity"]), string(b["ReturnValuesOnConditionCheckFailure"])
				wantCapacity, wantAllOld := "", ""
				if metered {
					wantCapacity = `"TOTAL"`
					if b["ConditionExpression"] != nil {
						wantAllOld = `"ALL_OLD"`
					}
				}
				if capacity != wantCapacity || allOld != wantAllOld {
					t.Errorf("request %s asks ReturnConsumedCapacity %q and ReturnValuesOnConditionCheckFailure %q, want %q and %q",
						keysOf(b), capacity, allOld, wantCapacity, wantAllOld)
				}
			}
			if metered {
				calls := rec.Take()
				ops := make([]string, len(calls))
				for i, c := range calls {
					ops[i] = c.Op
				}
				want := []string{"PutItem", "PutItem", "GetItem", "Query", "UpdateItem", "BatchWriteItem", "BatchGetItem", "DeleteItem"}
				if diff := cmp.Diff(want, ops); diff != "" || len(bodies) != len(calls) {
					t.Errorf("%d requests, calls reported (-want +got):\n%s", len(bodies), diff)
				}
				// The units reported are the units the server returned: the wire check.
				reported := 0.0
				for _, c := range calls {
					reported += c.ReadUnits + c.WriteUnits
				}
				w.mu.Lock()
				served := w.units
				w.mu.Unlock()
				if reported != served || served == 0 {
					t.Errorf("reported %v units, the server returned %v", reported, served)
				}
			}
		})
	}
}

func keysOf(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestRefusedWriteUnits checks that a write refused by its condition is billed for the
// larger of the stored item the refusal carries back (ALL_OLD) and the item the write would
// have made of it, against a dynalite given that feature of DynamoDB's by the test's
// transport.
func TestRefusedWriteUnits(t *testing.T) {
	big := tabletest.Item{PK: "a", SK: "1", Data: bytes.Repeat([]byte{'d'}, 8000)} // 8 KB, just under
	key := table.Key{Partition: table.String("a"), Sort: table.String("1")}
	nope := table.Equal("note", "nope")
	for _, c := range []struct {
		name   string
		schema table.Schema
		op     func(t *testing.T, tb table.Table[tabletest.Item]) error
		want   []table.Call
	}{
		{"Create", tabletest.Plain, func(t *testing.T, tb table.Table[tabletest.Item]) error {
			it := tabletest.Item{PK: "a", SK: "1"}
			return tb.Create(t.Context(), &it)
		}, []table.Call{{Op: "PutItem", WriteUnits: 8, Failed: true}}},
		{"Delete", tabletest.Plain, func(t *testing.T, tb table.Table[tabletest.Item]) error {
			return tb.Delete(t.Context(), key, &table.DeleteOptions{If: nope})
		}, []table.Call{{Op: "DeleteItem", WriteUnits: 8, Failed: true}}},
		// The update would have made an item of about 10 KB of the stored one.
		{"GrowingUpdate", tabletest.Plain, func(t *testing.T, tb table.Table[tabletest.Item]) error {
			_, err := tb.Update(t.Context(), key, []table.Change{table.Set("note", strings.Repeat("n", 2000))}, &table.UpdateOptions{If: nope})
			return err
		}, []table.Call{{Op: "UpdateItem", WriteUnits: 10, Failed: true}}},
		{"VersionedUpdate", tabletest.Versioned, func(t *testing.T, tb table.Table[tabletest.Item]) error {
			_, err := tb.Update(t.Context(), key, nil, &table.UpdateOptions{If: nope})
			return err
		}, []table.Call{{Op: "UpdateItem", WriteUnits: 8, Failed: true}, {Op: "GetItem", ReadUnits: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rec tabletest.CallRecorder
			tb := newWireTable(t, (&wire{allOld: true}).client(), c.schema, &rec)
			it := big
			if err := tb.Put(t.Context(), &it, nil); err != nil {
				t.Fatal(err)
			}
			rec.Take()
			if err := c.op(t, tb); !errors.Is(err, table.ErrConditionFailed) && !errors.Is(err, table.ErrAlreadyExists) {
				t.Fatalf("got %v, want a refused condition", err)
			}
			got := rec.Take()
			for i := range got {
				got[i].Table = ""
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLostAnswerCalls checks that the read a Create makes after its answer was lost is
// reported as a call of its own. The lost attempt, which DynamoDB applied and billed, is
// not: its answer, and the units in it, never arrived.
func TestLostAnswerCalls(t *testing.T) {
	s := tabletest.Versioned
	name := tableName(t)
	if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, faultproxy.DynamoDB, dynalite.Endpoint, &faultproxy.Options{Choose: loseFirst("PutItem", faultproxy.ResetAfterProcessing)})
	var rec tabletest.CallRecorder
	tb, err := awsdynamodb.New[tabletest.Item](faultyClient(proxy), name, &awsdynamodb.Options{Schema: &s, OnCall: rec.Record})
	if err != nil {
		t.Fatal(err)
	}
	it := tabletest.Item{PK: "a", SK: "1", Note: "mine"}
	if err := tb.Create(t.Context(), &it); err != nil {
		t.Fatalf("Create whose answer was lost = %v, want nil", err)
	}
	got := rec.Take()
	for i := range got {
		got[i].Table = ""
	}
	// The SDK's retry is refused by the item the first attempt stored (dynalite returns no
	// item with the refusal, so one unit), then the item is read back.
	want := []table.Call{{Op: "PutItem", WriteUnits: 1, Failed: true}, {Op: "GetItem", ReadUnits: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
