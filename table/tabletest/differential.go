package tabletest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/servous/servous/table"
)

// The differential runner's flags, for longer runs and replays:
//
//	go test ./table/awsdynamodb -run TestDifferential -tabletest.seeds=50 -tabletest.ops=2000
//	go test ./table/awsdynamodb -run TestDifferential -tabletest.seed=7
var (
	flagSeeds = flag.Int("tabletest.seeds", 0, "number of seeds the table differential runner tries (0: the config's, at least 5)")
	flagOps   = flag.Int("tabletest.ops", 0, "operations per seed of the table differential runner (0: the config's, at least 300)")
	flagSeed  = flag.Uint64("tabletest.seed", 0, "run the table differential runner on this one seed only (0: all)")
)

// Clock is a clock a differential run moves by hand, shared by the tables it compares so that
// expiry agrees between them. Its zero value is not usable; the runner makes one per seed.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// DiffPair is the pair of tables a differential run compares: both new and empty, both
// with the schema asked for, and both reading the run's clock for expiry.
type DiffPair struct {
	// Reference is the table whose answers are expected, usually a memtable.Table.
	Reference table.Table[Item]
	// Subject is compared with Reference call by call: results, errors by sentinel, order.
	Subject table.Table[Item]
	// OnDynalite says that Subject stores its items in dynalite. Where dynalite departs
	// from DynamoDB (see RunDifferentialTests), the runner then logs the case and skips it
	// instead of failing.
	OnDynalite bool
	// ReferenceCalls and SubjectCalls, when both set, record the calls each table reports
	// (their OnCall options): the runner then also compares, operation by operation, the
	// requests each made and the units they were billed (table.Call's Op, ReadUnits,
	// WriteUnits and Failed).
	ReferenceCalls, SubjectCalls *CallRecorder
}

// NewDiffPair makes the tables of one differential run with schema s, reading now for
// expiry.
type NewDiffPair func(t *testing.T, s table.Schema, now func() time.Time) DiffPair

// DiffConfig sets the size of a differential run; nil means the defaults.
type DiffConfig struct {
	// Seeds is the number of seeds, 1 to Seeds; fewer than 5 means 5.
	Seeds int
	// Ops is the number of operations per seed; fewer than 300 means 300.
	Ops int
}

// RunDifferentialTests applies seeded random sequences of operations over the whole
// table.Table interface — Create, Put (versioned, conditional), Update, Delete with
// conditions, Get, Query with every sort operator in both directions with limits and
// cursors (continued, and reused where they do not belong), BatchGet, BatchWrite, and
// expiry as the clock moves — to both tables of a pair, and compares every answer. Keys
// hold unicode, spaces, '+', '%', '?' and runs of '/'. Seed i (from 1) runs on
// Schemas[(i-1) % len(Schemas)], so five seeds cover every schema.
//
// On a divergence the subtest fails with the seed, the operation's index, the operation
// and both answers, and stops that seed; rerun it alone with -tabletest.seed=N. The flags
// -tabletest.seeds and -tabletest.ops make runs longer than cfg's.
//
// With DiffPair.OnDynalite set, three places where dynalite departs from DynamoDB are
// logged and skipped, only where the answers differ: dynalite orders strings by UTF-16
// code units where DynamoDB orders their UTF-8 bytes, which reorders sort keys mixing
// characters above U+FFFF with ones from U+E000 to U+FFFF (queries, sort conditions and
// cursors); it accepts numbers beyond DynamoDB's range and precision that an Update's ADD
// produces (the tables are then brought back in step); and it parses deeply nested NOT
// conditions in exponential time, so the runner nests conditions at most three deep. Where
// the pair records calls, three places where dynalite bills otherwise than DynamoDB are
// logged and skipped likewise: it returns no stored item with a refused conditional write,
// bills nothing for a Query request that reads nothing, and ends BatchGetItem responses
// early, billing the keys it leaves.
func RunDifferentialTests(t *testing.T, newPair NewDiffPair, cfg *DiffConfig) {
	var c DiffConfig
	if cfg != nil {
		c = *cfg
	}
	c.Seeds = max(c.Seeds, 5, *flagSeeds)
	c.Ops = max(c.Ops, 300, *flagOps)
	for seed := uint64(1); seed <= uint64(c.Seeds); seed++ {
		if *flagSeed != 0 && seed != *flagSeed {
			continue
		}
		schema := Schemas[int(seed-1)%len(Schemas)]
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			clock := &Clock{now: time.Unix(1_800_000_000, 0).UTC()}
			pair := newPair(t, schema, clock.Now)
			r := newRun(t, seed, schema, clock, pair)
			if err := r.run(t.Context(), c.Ops); err != nil {
				t.Error(err)
			}
		})
	}
}

// errClass names the sentinel an error wraps, the most specific first.
func errClass(err error) string {
	if err == nil {
		return "ok"
	}
	for _, s := range []struct {
		err  error
		name string
	}{
		{table.ErrVersionConflict, "ErrVersionConflict"},
		{table.ErrConditionFailed, "ErrConditionFailed"},
		{table.ErrAlreadyExists, "ErrAlreadyExists"},
		{table.ErrNotFound, "ErrNotFound"},
		{table.ErrTooLarge, "ErrTooLarge"},
		{table.ErrInvalidKey, "ErrInvalidKey"},
		{table.ErrInvalidArgument, "ErrInvalidArgument"},
		{context.Canceled, "context.Canceled"},
		{context.DeadlineExceeded, "context.DeadlineExceeded"},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "unclassified error"
}

// outcome is what one side answered to an operation.
type outcome struct {
	Err string
	// Item is the item returned (Get, Update) or the caller's item after a write.
	Item *Item `json:",omitempty"`
	// Items are the items of a query page or a batch read.
	Items []Item `json:",omitempty"`
	// More says a query page came with a cursor.
	More bool `json:",omitempty"`
	// detail is the error's text, shown but not compared.
	detail string
}

func (o outcome) String() string {
	s := o.Err
	if o.detail != "" {
		s += " (" + o.detail + ")"
	}
	if o.Item != nil {
		s += fmt.Sprintf(" item=%v", *o.Item)
	}
	if o.Items != nil {
		s += fmt.Sprintf(" items=%v", o.Items)
	}
	if o.More {
		s += " cursor"
	}
	return s
}

// diffOutcomes compares two answers, the errors' texts aside. Equal answers, the common
// case, are told apart quickly: cmp.Diff takes seconds over items of 400 KB.
func diffOutcomes(a, b outcome) string {
	a.detail, b.detail = "", ""
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return cmp.Diff(a, b, cmpopts.IgnoreUnexported(outcome{}))
}

func result(err error) outcome {
	o := outcome{Err: errClass(err)}
	if err != nil {
		o.detail = err.Error()
	}
	return o
}

// op is one generated operation: do runs it on one side (0 the reference, 1 the subject).
type op struct {
	desc string
	do   func(ctx context.Context, tb table.Table[Item], side int) outcome
	// query is set for queries, whose order dynalite may reverse.
	query *queryOp
	// add says the operation adds numbers, which dynalite lets leave DynamoDB's range.
	add bool
	// keys are the items the operation writes, for bringing the tables back in step.
	keys []table.Key
	// after runs once both sides agreed.
	after func()
}

type run struct {
	t      *testing.T
	seed   uint64
	rng    *rand.Rand
	schema table.Schema
	clock  *Clock
	pair   DiffPair
	tables [2]table.Table[Item]
	keys   keySpace
	// cursors are the cursors of earlier query pages, one per side, to continue or misuse.
	cursors []cursorEntry
	skipped map[string]int
	// written holds, by partition, the sort keys of string every operation may have
	// written, for telling dynalite's departures apart.
	written map[string]map[string]bool
}

type cursorEntry struct {
	partition table.Value
	opts      table.QueryOptions
	cursor    [2]string
	// lastSK is the sort key of the item each cursor stands at.
	lastSK [2]string
}

func newRun(t *testing.T, seed uint64, s table.Schema, clock *Clock, pair DiffPair) *run {
	return &run{
		t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		schema: s.WithDefaults(), clock: clock, pair: pair,
		tables:  [2]table.Table[Item]{pair.Reference, pair.Subject},
		keys:    newKeySpace(s.WithDefaults()),
		skipped: map[string]int{},
		written: map[string]map[string]bool{},
	}
}

func (r *run) noteWritten(keys []table.Key) {
	for _, k := range keys {
		if k.Sort.Kind() != table.KindString {
			continue
		}
		p := k.Partition.Text()
		if r.written[p] == nil {
			r.written[p] = map[string]bool{}
		}
		r.written[p][k.Sort.Text()] = true
	}
}

// run applies n operations to both tables and returns the first divergence.
func (r *run) run(ctx context.Context, n int) error {
	answers := map[string]int{}
	for i := range n {
		o := r.next(ctx)
		var got [2]outcome
		var calls [2][]table.Call
		for side, tb := range r.tables {
			r.takeCalls(side)
			got[side] = o.do(ctx, tb, side)
			calls[side] = r.takeCalls(side)
		}
		if diff := diffOutcomes(got[0], got[1]); diff != "" {
			if why := r.dynaliteDeparture(ctx, o, got); why != "" {
				r.skipped[why]++
				r.t.Logf("seed %d op %d: skipped, %s: %s\n  reference: %v\n  subject:   %v", r.seed, i, why, o.desc, got[0], got[1])
				r.resync(ctx, o)
				r.noteWritten(o.keys)
				continue
			}
			return fmt.Errorf("divergence at seed %d, op %d (replay: -run '%s' -tabletest.seed=%d):\n  op:        %s\n  reference: %v\n  subject:   %v\n  (-reference +subject):\n%s",
				r.seed, i, r.t.Name(), r.seed, o.desc, got[0], got[1], diff)
		}
		if r.recording() {
			diff, why := diffCalls(calls[0], calls[1], r.pair.OnDynalite)
			if why != "" {
				r.skipped[why]++
				r.t.Logf("seed %d op %d: calls skipped, %s: %s\n  reference: %v\n  subject:   %v", r.seed, i, why, o.desc, billedOf(calls[0]), billedOf(calls[1]))
			} else if diff != "" {
				return fmt.Errorf("calls diverge at seed %d, op %d (replay: -run '%s' -tabletest.seed=%d):\n  op:        %s\n  answer:    %v\n  reference: %v\n  subject:   %v\n  (-reference +subject):\n%s",
					r.seed, i, r.t.Name(), r.seed, o.desc, got[0].Err, billedOf(calls[0]), billedOf(calls[1]), diff)
			}
		}
		verb, _, _ := strings.Cut(o.desc, "(")
		answers[verb+" "+got[0].Err]++
		if o.after != nil {
			o.after()
		}
		r.noteWritten(o.keys)
	}
	for why, n := range r.skipped {
		r.t.Logf("seed %d: skipped %d operation(s) where dynalite departs from DynamoDB: %s", r.seed, n, why)
	}
	r.t.Logf("seed %d (%s schema): answers agreed: %v", r.seed, schemaName(r.schema), answers)
	return r.checkAll(ctx, n)
}

// recording reports whether the pair records its tables' calls.
func (r *run) recording() bool {
	return r.pair.ReferenceCalls != nil && r.pair.SubjectCalls != nil
}

// takeCalls returns the calls one side recorded since the last take.
func (r *run) takeCalls(side int) []table.Call {
	if !r.recording() {
		return nil
	}
	if side == 0 {
		return r.pair.ReferenceCalls.Take()
	}
	return r.pair.SubjectCalls.Take()
}

func schemaName(s table.Schema) string {
	for _, c := range []struct {
		name string
		s    table.Schema
	}{{"Versioned", Versioned}, {"Plain", Plain}, {"NumberSort", NumberSort}, {"BinarySort", BinarySort}, {"BinaryPartition", BinaryPartition}} {
		if c.s.WithDefaults() == s {
			return c.name
		}
	}
	return fmt.Sprintf("%+v", s)
}

// checkAll compares every item either table holds at the end of a run.
func (r *run) checkAll(ctx context.Context, n int) error {
	keys := r.keys.all()
	var got [2][]Item
	for side, tb := range r.tables {
		for chunk := range chunks(keys, 100) {
			items, err := tb.BatchGet(ctx, chunk, &table.BatchGetOptions{ConsistentRead: true})
			if err != nil {
				return fmt.Errorf("seed %d: final BatchGet on side %d: %w", r.seed, side, err)
			}
			got[side] = append(got[side], items...)
		}
	}
	if diff := diffOutcomes(outcome{Items: got[0]}, outcome{Items: got[1]}); diff != "" {
		return fmt.Errorf("seed %d: after %d operations the tables hold different items (-reference +subject):\n%s", r.seed, n, diff)
	}
	return nil
}

func chunks[E any](s []E, n int) func(func([]E) bool) {
	return func(yield func([]E) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// resync makes the subject hold what the reference holds under the keys an operation
// wrote, after a skipped operation that dynalite answered differently.
func (r *run) resync(ctx context.Context, o op) {
	for _, k := range o.keys {
		it, err := r.tables[0].Get(ctx, k, &table.GetOptions{ConsistentRead: true})
		if errors.Is(err, table.ErrNotFound) {
			err = r.tables[1].BatchWrite(ctx, nil, []table.Key{k})
		} else if err == nil {
			err = r.tables[1].BatchWrite(ctx, []Item{it}, nil)
		}
		if err != nil {
			r.t.Fatalf("seed %d: bringing %v back in step: %v", r.seed, k, err)
		}
	}
}
