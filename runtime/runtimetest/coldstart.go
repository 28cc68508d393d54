package runtimetest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"
)

var (
	// initReportRE is the emulator's INIT REPORT: from the process's start until the runtime
	// first asks for an invocation, which is what a cold start costs the function.
	initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	// initDurationRE is the REPORT line's Init Duration, as Lambda prints it. The emulator
	// measures it differently (it stays near zero), so compare INIT REPORT figures.
	initDurationRE = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
)

// ColdStart is what the emulator reports of a function's cold start.
type ColdStart struct {
	// Init is the INIT REPORT durationMs: from the process's start until it asked for its first
	// invocation.
	Init time.Duration
	// InitDuration is the REPORT line's Init Duration.
	InitDuration time.Duration
}

// MeasureColdStart starts bootstrap under the emulator, invokes it once with payload, and
// returns the cold start the emulator reported. The function is stopped before it returns.
func MeasureColdStart(tb testing.TB, bootstrap string, opts *Options, payload []byte) ColdStart {
	tb.Helper()
	f := Run(tb, bootstrap, opts)
	defer f.Stop()
	if _, err := f.Invoke(context.Background(), payload); err != nil {
		tb.Fatal(err)
	}
	out, err := f.WaitFor(context.Background(), "REPORT RequestId", 1)
	if err != nil {
		tb.Fatal(err)
	}
	var c ColdStart
	for _, m := range []struct {
		re *regexp.Regexp
		d  *time.Duration
	}{{initReportRE, &c.Init}, {initDurationRE, &c.InitDuration}} {
		d, err := reportedMs(m.re, out)
		if err != nil {
			tb.Fatal(err)
		}
		*m.d = d
	}
	return c
}

// InitReport returns the INIT REPORT duration in a function's output, if it has one.
func InitReport(output string) (time.Duration, bool) {
	d, err := reportedMs(initReportRE, output)
	return d, err == nil
}

func reportedMs(re *regexp.Regexp, out string) (time.Duration, error) {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("runtimetest: no %s in the emulator's output:\n%s", re, out)
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("runtimetest: %s: %w", m[0], err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// MedianColdStart returns the median of cold starts' Init and InitDuration, each taken apart.
func MedianColdStart(cs []ColdStart) ColdStart {
	if len(cs) == 0 {
		return ColdStart{}
	}
	inits := make([]time.Duration, len(cs))
	durs := make([]time.Duration, len(cs))
	for i, c := range cs {
		inits[i], durs[i] = c.Init, c.InitDuration
	}
	slices.Sort(inits)
	slices.Sort(durs)
	return ColdStart{Init: inits[len(cs)/2], InitDuration: durs[len(cs)/2]}
}
