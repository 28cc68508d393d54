package cost_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/cost"
)

func TestUsageJSONAndSub(t *testing.T) {
	before := cost.Usage{
		{Service: "s3", Resource: "b", Unit: cost.UnitS3Tier1}:        2,
		{Service: "lambda", Resource: "api", Unit: cost.UnitRequests}: 1,
	}
	after := cost.Usage{
		{Service: "s3", Resource: "b", Unit: cost.UnitS3Tier1}:         5,
		{Service: "lambda", Resource: "api", Unit: cost.UnitRequests}:  1,
		{Service: "dynamodb", Resource: "t", Unit: cost.UnitReadUnits}: 0.5,
	}
	diff := after.Sub(before)
	want := cost.Usage{
		{Service: "s3", Resource: "b", Unit: cost.UnitS3Tier1}:         3,
		{Service: "dynamodb", Resource: "t", Unit: cost.UnitReadUnits}: 0.5,
	}
	if d := cmp.Diff(want, diff); d != "" {
		t.Errorf("Sub (-want +got):\n%s", d)
	}
	data, err := json.Marshal(diff)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `[{"service":"dynamodb","resource":"t","unit":"read-request-units","quantity":0.5},{"service":"s3","resource":"b","unit":"requests-tier1","quantity":3}]`
	if string(data) != wantJSON {
		t.Errorf("JSON\n%s\nwant\n%s", data, wantJSON)
	}
	var back cost.Usage
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(diff, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if d := cmp.Diff(after, before.Add(diff)); d != "" {
		t.Errorf("Add (-want +got):\n%s", d)
	}
}

func TestReport(t *testing.T) {
	u := cost.Usage{
		{Service: "lambda", Resource: "api", Unit: cost.UnitRequests}:        1,
		{Service: "lambda", Resource: "api", Unit: cost.UnitGBSecondsArm64}:  0.5,
		{Service: "s3", Resource: "media", Unit: cost.UnitS3Tier1}:           2,
		{Service: "s3", Resource: "media", Unit: cost.UnitStoredBytes}:       cost.GB / 2,
		{Service: "s3", Resource: "media", Unit: "glacier-restores"}:         1,
		{Service: "dynamodb", Resource: "videos", Unit: cost.UnitWriteUnits}: 4,
	}
	p := cost.USEast1()
	r := u.Report(p)
	total := 0.0000002 + 0.5*0.0000133334 + 2*0.000005 + 4*0.000000625
	near(t, "total", r.Total, total)
	near(t, "idle", r.IdlePerMonth, 0.023/2)
	if len(r.Resources) != 3 || r.Resources[0].Service != "dynamodb" {
		t.Errorf("subtotals %+v", r.Resources)
	}
	if len(r.Services) != 3 || r.Services[1].Service != "lambda" {
		t.Errorf("service subtotals %+v", r.Services)
	} else {
		near(t, "lambda subtotal", r.Services[1].Cost, 0.0000002+0.5*0.0000133334)
	}
	var unpriced int
	for _, l := range r.Lines {
		if l.Unpriced {
			unpriced++
		}
	}
	if unpriced != 1 {
		t.Errorf("%d unpriced lines, want the glacier restore", unpriced)
	}

	k := r.PerRuns(1000)
	near(t, "total of 1000 runs", k.Total, 1000*total)
	near(t, "idle after 1000 runs", k.IdlePerMonth, 1000*0.023/2)
	near(t, "total of 10 runs from 1000", k.PerRuns(10).Total, 10*total)

	text := k.String()
	for _, s := range []string{"1000 runs", "us-east-1", "requests-tier1", "total", "idle per month", "unpriced"} {
		if !strings.Contains(text, s) {
			t.Errorf("report text lacks %q:\n%s", s, text)
		}
	}
	var b bytes.Buffer
	if n, err := k.WriteTo(&b); err != nil || int(n) != len(text) || b.String() != text {
		t.Errorf("WriteTo wrote %d bytes, err %v; differs from String", n, err)
	}
	data, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back cost.Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Runs != 1000 || back.Total != k.Total || len(back.Lines) != len(k.Lines) {
		t.Errorf("JSON report: %s", data)
	}
}

func TestReadPrices(t *testing.T) {
	data, err := json.Marshal(cost.USEast1())
	if err != nil {
		t.Fatal(err)
	}
	p, err := cost.ReadPrices(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(cost.USEast1(), p); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if _, err := cost.ReadPrices(strings.NewReader(`{"region":"eu-west-1","lambda":{"perMilionRequests":0.2}}`)); err == nil {
		t.Error("a misspelt price read without error")
	}
}
