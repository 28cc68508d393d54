package cost

import (
	"encoding/json"
	"fmt"
	"io"
)

// Prices are on-demand prices of the units a [Meter] counts, in US dollars, in the unit each
// service's pricing page quotes. [USEast1] returns AWS's for US East (N. Virginia); callers
// can build their own for another region, or read them from JSON with [ReadPrices]. No
// prices are fetched at run time.
//
// Prices hold the first volume tier of each figure and no free tier: a report says what the
// usage costs at the margin, not what one account's bill would be.
type Prices struct {
	// Region is the AWS region the prices are for, such as "us-east-1".
	Region string `json:"region"`
	// AsOf is the date the figures were read from AWS's pricing pages (YYYY-MM-DD).
	AsOf string `json:"asOf"`

	Lambda       LambdaPrices       `json:"lambda"`
	S3           S3Prices           `json:"s3"`
	DynamoDB     DynamoDBPrices     `json:"dynamodb"`
	MediaConvert MediaConvertPrices `json:"mediaconvert"`
	EventBridge  EventBridgePrices  `json:"eventbridge"`
}

// LambdaPrices are AWS Lambda's.
type LambdaPrices struct {
	PerMillionRequests float64 `json:"perMillionRequests"`
	// PerGBSecondX86 and PerGBSecondArm64 are the duration prices of the first tier (the
	// first 6 billion GB-seconds a month).
	PerGBSecondX86   float64 `json:"perGBSecondX86"`
	PerGBSecondArm64 float64 `json:"perGBSecondArm64"`
}

// S3Prices are Amazon S3's, for the S3 Standard storage class.
type S3Prices struct {
	// PerThousandTier1 is the price of 1,000 PUT, COPY, POST or LIST requests.
	PerThousandTier1 float64 `json:"perThousandTier1"`
	// PerThousandTier2 is the price of 1,000 GET, SELECT and other requests.
	PerThousandTier2 float64 `json:"perThousandTier2"`
	// PerGBMonth is the storage price of the first 50 TB a month.
	PerGBMonth float64 `json:"perGBMonth"`
	// PerGBTransferOut is the price of data transfer out to the internet, first 10 TB a
	// month (after the first 100 GB a month, which AWS does not charge for).
	PerGBTransferOut float64 `json:"perGBTransferOut"`
}

// DynamoDBPrices are Amazon DynamoDB's on-demand prices, Standard table class.
type DynamoDBPrices struct {
	PerMillionWriteUnits float64 `json:"perMillionWriteUnits"`
	PerMillionReadUnits  float64 `json:"perMillionReadUnits"`
}

// MediaConvertPrices are AWS Elemental MediaConvert's on-demand Basic tier prices per output
// minute, AVC, up to 30 frames per second, by resolution.
type MediaConvertPrices struct {
	PerMinuteSD  float64 `json:"perMinuteSD"`
	PerMinuteHD  float64 `json:"perMinuteHD"`
	PerMinuteUHD float64 `json:"perMinuteUHD"`
}

// EventBridgePrices are Amazon EventBridge's.
type EventBridgePrices struct {
	// PerMillionEvents is the price of a million custom events (64 KB chunks) published
	// to an event bus.
	PerMillionEvents float64 `json:"perMillionEvents"`
}

// USEast1 returns AWS's on-demand prices in US East (N. Virginia), read on 2026-12-02:
//
//   - Lambda, https://aws.amazon.com/lambda/pricing/: $0.20 per 1M requests; $0.0000166667
//     per GB-second on x86 and $0.0000133334 on Arm, first 6 billion GB-seconds a month.
//   - S3, https://aws.amazon.com/s3/pricing/: S3 Standard $0.023 per GB-month (first 50 TB);
//     PUT, COPY, POST, LIST $0.005 per 1,000 requests; GET, SELECT and all other requests
//     $0.0004 per 1,000; DELETE and CANCEL free; data transfer out to the internet $0.09 per
//     GB (first 10 TB a month; the first 100 GB a month are free across services).
//   - DynamoDB on-demand, https://aws.amazon.com/dynamodb/pricing/on-demand/: $0.625 per
//     million write request units and $0.125 per million read request units, after the price
//     cut of 1 November 2024 that halved on-demand throughput prices ("Amazon DynamoDB
//     reduces prices for on-demand throughput and global tables", AWS What's New, November
//     2024); they were $1.25 and $0.25.
//   - MediaConvert, https://aws.amazon.com/mediaconvert/pricing/: Basic tier, per normalized
//     minute of output: SD $0.0075, HD $0.015, UHD $0.030 at up to 30 frames per second (the
//     first volume tier; since September 2024 larger monthly volumes are discounted). The
//     page could be read only in part: the per-resolution figures are the Basic tier's
//     published per-minute prices, which the normalized-minute model keeps for its first
//     tier, and were not confirmed against the current page.
//   - EventBridge, https://aws.amazon.com/eventbridge/pricing/: custom events $1.00 per
//     million, each 64 KB chunk of a payload billed as one event; AWS service events free.
//   - Cognito identity pools (https://aws.amazon.com/cognito/pricing/): no charge, so no
//     price appears here.
func USEast1() *Prices {
	return &Prices{
		Region: "us-east-1",
		AsOf:   "2026-12-02",
		Lambda: LambdaPrices{
			PerMillionRequests: 0.20,
			PerGBSecondX86:     0.0000166667,
			PerGBSecondArm64:   0.0000133334,
		},
		S3: S3Prices{
			PerThousandTier1: 0.005,
			PerThousandTier2: 0.0004,
			PerGBMonth:       0.023,
			PerGBTransferOut: 0.09,
		},
		DynamoDB: DynamoDBPrices{
			PerMillionWriteUnits: 0.625,
			PerMillionReadUnits:  0.125,
		},
		MediaConvert: MediaConvertPrices{
			PerMinuteSD:  0.0075,
			PerMinuteHD:  0.015,
			PerMinuteUHD: 0.030,
		},
		EventBridge: EventBridgePrices{PerMillionEvents: 1.00},
	}
}

// ReadPrices reads prices in the JSON form of [Prices], such as another region's. Unknown
// fields are an error, so a misspelt price does not silently read as zero.
func ReadPrices(r io.Reader) (*Prices, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Prices
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("cost: reading prices: %w", err)
	}
	return &p, nil
}

// GB is the gigabyte AWS bills storage and transfer in: 2^30 bytes (S3's pricing examples
// divide byte-hours by 1,073,741,824 bytes per GB).
const GB = 1 << 30

// HoursPerMonth is the month a report prices storage over: 730 hours, a year's 8,760 over
// twelve. AWS divides by the hours of the calendar month billed (744 for March), so a
// report's storage cost for a 31-day month is 744/730 of what it would be for 730 hours.
const HoursPerMonth = 730

// UnitPrice returns the price of one unit of a service, and whether p knows the unit. Free
// units (S3's DELETE requests, AWS service events, identity pool exchanges, cold starts,
// stored bytes) price at zero and are known.
func (p *Prices) UnitPrice(service, unit string) (float64, bool) {
	switch service {
	case ServiceLambda:
		switch unit {
		case UnitRequests:
			return p.Lambda.PerMillionRequests / 1e6, true
		case UnitGBSecondsX86:
			return p.Lambda.PerGBSecondX86, true
		case UnitGBSecondsArm64:
			return p.Lambda.PerGBSecondArm64, true
		case UnitColdStarts:
			return 0, true
		}
	case ServiceS3:
		switch unit {
		case UnitS3Tier1:
			return p.S3.PerThousandTier1 / 1000, true
		case UnitS3Tier2:
			return p.S3.PerThousandTier2 / 1000, true
		case UnitS3Free, UnitStoredBytes:
			return 0, true
		case UnitTransferOutBytes:
			return p.S3.PerGBTransferOut / GB, true
		case UnitByteHours:
			return p.S3.PerGBMonth / GB / HoursPerMonth, true
		}
	case ServiceDynamoDB:
		switch unit {
		case UnitReadUnits:
			return p.DynamoDB.PerMillionReadUnits / 1e6, true
		case UnitWriteUnits:
			return p.DynamoDB.PerMillionWriteUnits / 1e6, true
		}
	case ServiceMediaConvert:
		switch unit {
		case UnitMinutesSD:
			return p.MediaConvert.PerMinuteSD, true
		case UnitMinutesHD:
			return p.MediaConvert.PerMinuteHD, true
		case UnitMinutesUHD:
			return p.MediaConvert.PerMinuteUHD, true
		}
	case ServiceEventBridge:
		switch unit {
		case UnitEvents:
			return p.EventBridge.PerMillionEvents / 1e6, true
		case UnitAWSEvents:
			return 0, true
		}
	case ServiceCognitoIdentity:
		if unit == UnitExchanges {
			return 0, true
		}
	}
	return 0, false
}
