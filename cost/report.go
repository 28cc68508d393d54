package cost

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
)

// A Report prices a [Usage]: units and dollars per service, resource and unit, subtotals per
// resource, a total, and the idle cost: what the bytes left stored cost per month with
// nothing else happening. It prints as a text table ([Report.String], [Report.WriteTo]) and
// marshals to JSON with the fields' tags.
type Report struct {
	// Region and AsOf say which prices the report uses.
	Region string `json:"region"`
	AsOf   string `json:"asOf"`
	// Runs is how many runs of the usage the report stands for: 1, or PerRuns's n.
	Runs int `json:"runs"`
	// Lines are the usage's quantities, priced, sorted by service, resource and unit.
	Lines []ReportLine `json:"lines"`
	// Resources are the subtotals per service and resource, in the order of Lines.
	Resources []Subtotal `json:"resources"`
	// Services are the subtotals per service (Resource empty), in the order of Lines.
	Services []Subtotal `json:"services"`
	// Total is the cost of the usage, in US dollars.
	Total float64 `json:"total"`
	// IdlePerMonth is the cost of a month with nothing happening but the storage the usage
	// left behind (S3's stored bytes at the GB-month price): the consumption model's only
	// cost while idle. DynamoDB's table storage is not metered, and not in it.
	IdlePerMonth float64 `json:"idlePerMonth"`

	usage  Usage
	prices *Prices
}

// A ReportLine is one priced quantity.
type ReportLine struct {
	Service  string  `json:"service"`
	Resource string  `json:"resource"`
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
	// UnitPrice is the price of one unit, in US dollars.
	UnitPrice float64 `json:"unitPrice"`
	// Cost is Quantity × UnitPrice.
	Cost float64 `json:"cost"`
	// Unpriced reports a unit the prices do not know; it counts as free.
	Unpriced bool `json:"unpriced,omitempty"`
}

// A Subtotal is the cost of one resource of a service.
type Subtotal struct {
	Service  string  `json:"service"`
	Resource string  `json:"resource"`
	Cost     float64 `json:"cost"`
}

// Report prices u with p.
func (u Usage) Report(p *Prices) *Report {
	r := &Report{Region: p.Region, AsOf: p.AsOf, Runs: 1, usage: u, prices: p}
	for _, l := range u.Lines() {
		price, ok := p.UnitPrice(l.Service, l.Unit)
		rl := ReportLine{Service: l.Service, Resource: l.Resource, Unit: l.Unit, Quantity: l.Quantity, UnitPrice: price, Cost: l.Quantity * price, Unpriced: !ok}
		r.Lines = append(r.Lines, rl)
		r.Total += rl.Cost
		if n := len(r.Resources); n == 0 || r.Resources[n-1].Service != l.Service || r.Resources[n-1].Resource != l.Resource {
			r.Resources = append(r.Resources, Subtotal{Service: l.Service, Resource: l.Resource})
		}
		r.Resources[len(r.Resources)-1].Cost += rl.Cost
		if n := len(r.Services); n == 0 || r.Services[n-1].Service != l.Service {
			r.Services = append(r.Services, Subtotal{Service: l.Service})
		}
		r.Services[len(r.Services)-1].Cost += rl.Cost
		if l.Service == ServiceS3 && l.Unit == UnitStoredBytes {
			r.IdlePerMonth += l.Quantity / GB * p.S3.PerGBMonth
		}
	}
	return r
}

// Report prices what m metered so far with p.
func (m *Meter) Report(p *Prices) *Report { return m.Usage().Report(p) }

// PerRuns returns the report of n runs like the one r prices: every quantity, the bytes left
// stored included, times n/r.Runs.
func (r *Report) PerRuns(n int) *Report {
	scaled := make(Usage, len(r.usage))
	f := float64(n) / float64(max(r.Runs, 1))
	for k, q := range r.usage {
		scaled[k] = q * f
	}
	out := scaled.Report(r.prices)
	out.Runs = n
	return out
}

// WriteTo writes r as a text table to w: a line per unit, a subtotal per resource, the total
// and the idle cost per month.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	runs := "1 run"
	if r.Runs != 1 {
		runs = strconv.Itoa(r.Runs) + " runs"
	}
	ws, wr, wu := len("service"), len("resource"), len("unit")
	for _, l := range r.Lines {
		ws, wr, wu = max(ws, len(l.Service)), max(wr, len(l.Resource)), max(wu, len(l.Unit))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "cost of %s at %s on-demand prices of %s, in USD\n", runs, r.Region, r.AsOf)
	row := func(s, res, unit, q, price, c string) {
		fmt.Fprintf(&b, "%-*s  %-*s  %-*s  %12s  %12s  %12s\n", ws, s, wr, res, wu, unit, q, price, c)
	}
	row("service", "resource", "unit", "quantity", "unit price", "cost")
	sub := 0
	for i, l := range r.Lines {
		price := strconv.FormatFloat(l.UnitPrice, 'g', 4, 64)
		if l.Unpriced {
			price = "unpriced"
		}
		row(l.Service, l.Resource, l.Unit, quantity(l.Quantity), price, usd(l.Cost))
		if i+1 == len(r.Lines) || r.Lines[i+1].Service != l.Service || r.Lines[i+1].Resource != l.Resource {
			row("", "", "", "", "subtotal", usd(r.Resources[sub].Cost))
			sub++
		}
	}
	fmt.Fprintf(&b, "%-*s  %12s\n", ws+wr+wu+4+12+2+12, "total", usd(r.Total))
	fmt.Fprintf(&b, "%-*s  %12s\n", ws+wr+wu+4+12+2+12, "idle per month (storage only)", usd(r.IdlePerMonth))
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// String returns r as the text table WriteTo writes.
func (r *Report) String() string {
	var b bytes.Buffer
	r.WriteTo(&b)
	return b.String()
}

// usd formats dollars to the millionth of a dollar, and smaller amounts with three
// significant digits.
func usd(v float64) string {
	if v == 0 {
		return "0"
	}
	if v >= 1e-6 || v <= -1e-6 {
		return strconv.FormatFloat(v, 'f', 6, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// quantity formats a quantity: whole numbers in full, others with seven significant digits.
func quantity(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 7, 64)
}
