// Package storagebench compares memstorage with gocloud.dev's memblob, measured in the same run:
// listing a prefix of a large bucket, small puts and gets, and a 64 MiB round trip beside its
// floor, one MD5 pass over the body. It holds benchmarks only.
package storagebench
