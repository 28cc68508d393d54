// Package cost meters what the blocks of servous use in the units AWS bills, prices it, and
// reports what a run costs.
//
// # The consumption model
//
// The seed's architecture pays per request and per use, and nothing while idle except
// storage: a Lambda function costs a request and the GB-seconds it ran, S3 a request class
// and the bytes it sends to the internet, DynamoDB on-demand the request units it consumes,
// MediaConvert the minutes of video it writes, EventBridge the custom events it takes. Only
// stored bytes cost money with nothing happening. This package counts each of those units
// as the blocks use them, so a test can assert what a run costs, and a deployed function can
// log what each invocation used.
//
// # Metering
//
// A [Meter] counts units per service, per resource (bucket, table, function, bus) and per
// unit; it is safe for concurrent use and cheap enough to leave on. Each block plugs into it:
//
//   - S3: [Meter.StorageCall] as the bucket adapters' OnCall option (memstorage, awss3).
//   - DynamoDB: [Meter.TableCall] as the table adapters' OnCall option (memtable,
//     awsdynamodb).
//   - MediaConvert: [Transcoder] wraps a transcode.Transcoder; [Meter.JobDone] meters a job
//     whose end arrives as a state change event.
//   - EventBridge: [Publisher] wraps an events.Publisher.
//   - Cognito identity pools: [Exchanger] wraps an identity.Exchanger (exchanges are free).
//   - Lambda: [Lambda] is runtime middleware metering requests, GB-seconds and the INIT
//     phase; [LogUsage] logs each invocation's units as one JSON record, and [ReadUsage]
//     sums such records from the output of any number of processes.
//
// [Meter.Usage] takes a snapshot ([Usage]), which subtracts ([Usage.Sub]), adds and
// marshals to JSON.
//
// # Reading a report
//
// [Usage.Report] prices a usage with [Prices], such as [USEast1] (dated, each figure's
// source in its doc), or prices read with [ReadPrices]. A [Report] lists each unit of each
// resource with its quantity, unit price and cost, a subtotal per resource, the total, and
// "idle per month": what the bytes the run left stored cost per month if nothing else
// happened. [Report.PerRuns] scales it to n runs, say a thousand uploads, so
//
//	r := meter.Report(cost.USEast1()).PerRuns(1000)
//
// reads as "a thousand of these cost r.Total, and leave r.IdlePerMonth a month behind".
// Prices are on-demand, first volume tier, without free tiers: the cost at the margin, not
// one account's bill.
//
// # What the meter cannot see
//
// Objects and items written by others, before the meter started, or removed by lifecycle
// rules; DynamoDB table storage; MediaConvert output frame rates (assumed 30 frames per
// second or fewer); data transfer other than S3 objects served through signed URLs;
// CloudWatch Logs, which every function's log lines also cost.
package cost
