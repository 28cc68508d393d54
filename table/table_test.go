package table_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

type base struct {
	Version int64 `dynamodbav:"v,omitempty" table:"version"`
}

type video struct {
	base
	Owner   string `dynamodbav:"owner" table:"partition"`
	Seq     int    `dynamodbav:"seq" table:"sort"`
	Title   string `dynamodbav:"title"`
	Expires int64  `dynamodbav:",omitempty" table:"expires"`
}

func TestSchemaOf(t *testing.T) {
	got, err := table.SchemaOf[video]()
	if err != nil {
		t.Fatal(err)
	}
	want := table.Schema{
		PartitionKey: "owner", PartitionKeyKind: table.KindString,
		SortKey: "seq", SortKeyKind: table.KindNumber,
		Version: "v", ExpiresAt: "Expires",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SchemaOf (-want +got):\n%s", diff)
	}
}

func TestSchemaOfErrors(t *testing.T) {
	type noKey struct {
		A string `dynamodbav:"a"`
	}
	type badTag struct {
		A string `dynamodbav:"a" table:"primary"`
	}
	type twice struct {
		A string `dynamodbav:"a" table:"partition"`
		B []byte `dynamodbav:"b" table:"partition"`
	}
	type sameName struct {
		A string `dynamodbav:"a" table:"partition"`
		B int64  `dynamodbav:"a" table:"version"`
	}
	for name, f := range map[string]func() error{
		"no key":     func() error { _, err := table.SchemaOf[noKey](); return err },
		"bad tag":    func() error { _, err := table.SchemaOf[badTag](); return err },
		"twice":      func() error { _, err := table.SchemaOf[twice](); return err },
		"same name":  func() error { _, err := table.SchemaOf[sameName](); return err },
		"not struct": func() error { _, err := table.SchemaOf[map[string]any](); return err },
	} {
		if err := f(); !errors.Is(err, table.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestNumber(t *testing.T) {
	type myInt int16
	for _, tc := range []struct {
		got  table.Value
		want string
	}{
		{table.Number(42), "42"},
		{table.Number(-7), "-7"},
		{table.Number(uint64(18446744073709551615)), "18446744073709551615"},
		{table.Number(myInt(-3)), "-3"},
		{table.Number(1.5), "1.5"},
		{table.Number(float32(0.1)), "0.1"},
	} {
		if tc.got.Kind() != table.KindNumber || tc.got.Text() != tc.want {
			t.Errorf("Number = %v %q, want N %q", tc.got.Kind(), tc.got.Text(), tc.want)
		}
	}
}

func TestValue(t *testing.T) {
	b := []byte{1, 2}
	v := table.Binary(b)
	b[0] = 9
	if diff := cmp.Diff([]byte{1, 2}, v.Bytes()); diff != "" {
		t.Errorf("Binary did not copy (-want +got):\n%s", diff)
	}
	if got := (table.Key{Partition: table.String("a"), Sort: v}).String(); got != `("a", b64:AQI=)` {
		t.Errorf("Key.String = %s", got)
	}
	if !(table.Value{}).IsZero() || table.String("").IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestErrVersionConflictIsConditionFailed(t *testing.T) {
	if !errors.Is(table.ErrVersionConflict, table.ErrConditionFailed) {
		t.Error("ErrVersionConflict does not match ErrConditionFailed")
	}
}
