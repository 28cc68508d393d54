// Package tablebench compares memtable with gocloud.dev's memdocstore, measured in the same run:
// Get and Put on a 10,000-item table and reading one partition of a 1,000,000-item table. It
// holds benchmarks only.
package tablebench
