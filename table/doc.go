// Package table provides a typed key-value table with DynamoDB's semantics.
//
// A [Table] stores items of one Go type T, usually a struct with dynamodbav tags as
// aws-sdk-go-v2's attributevalue package reads them. Every adapter marshals items through
// attributevalue, so one struct works with all of them and sees the same attributes:
// awsdynamodb stores them in Amazon DynamoDB, memtable keeps them in memory for tests and
// local runs.
//
// # Keys and schema
//
// An item is addressed by a [Key]: a partition key and, in tables that have one, a sort key.
// Key values are strings, numbers or binary ([String], [Number], [Binary]). A [Schema] names
// the key attributes and, optionally, a version attribute and an expiry attribute. [SchemaOf]
// reads it from table struct tags:
//
//	type Video struct {
//		Owner     string `dynamodbav:"owner" table:"partition"`
//		ID        string `dynamodbav:"id" table:"sort"`
//		Title     string `dynamodbav:"title"`
//		Version   int64  `dynamodbav:"version,omitempty" table:"version"`
//		ExpiresAt int64  `dynamodbav:"expires_at,omitempty" table:"expires"`
//	}
//
// # Optimistic concurrency
//
// When the schema has a version attribute, [Table.Put] writes only if the stored item's
// version equals the version of the item passed in (zero or absent meaning "no item
// stored"), and stores the version incremented by one; the caller's item is updated to the
// stored version. A read-modify-write loop therefore never loses an update: on
// [ErrVersionConflict] read again and retry. [Table.Update] increments the version too, so
// versioned writers notice it.
//
// Version 0 means "no live item": a versioned Put of version 0 fails with
// [ErrVersionConflict] over any live item, even one stored without a version attribute (as
// [Table.BatchWrite] writes items as they are); [Table.Update] gives such an item version 1.
//
// Versions are int64s and stop at math.MaxInt64. A write that would move a version past it
// — Put or Create of an item whose version is math.MaxInt64, or Update of a live item
// stored at it — is refused with an error wrapping [ErrInvalidArgument], before any other
// check and with nothing written: it never wraps round, and never stores a number an int64
// cannot hold. Such an item can still be read, deleted, or replaced by BatchWrite.
//
// # Expiry
//
// When the schema has an expiry attribute, it holds a time in epoch seconds, as DynamoDB's
// time to live reads it. An item whose expiry time is positive and not after the current
// second is expired: no adapter returns it, conditions see it as absent, and [Table.Create]
// may replace it — even before DynamoDB gets round to deleting it.
//
// # Conditions
//
// Writes take an optional [Condition] built from [Exists], [NotExists], [Equal],
// [LessThan], [BeginsWith], [And], [Or], [Not] and their relatives over top-level attribute
// names. Comparisons follow DynamoDB: values of different types never compare, and a missing
// attribute makes every comparison false.
//
// # Limits
//
// Adapters enforce DynamoDB's limits: items of at most 400 KB counted as DynamoDB counts them
// (see [ItemSizeLimit]), partition keys of 1 to 2048 bytes and sort keys of 1 to 1024 bytes.
// Batch calls take any number of items and split them into requests of DynamoDB's sizes.
//
// # Metering
//
// Adapters report each request they make to DynamoDB, with the read and write request units
// DynamoDB's on-demand mode bills for it, to the OnCall function of their options (see
// [Call]); memtable reports the requests, and the units, its AWS twin makes for the same
// operations, so a local run can be priced as a run in AWS.
//
// # Errors
//
// Adapters wrap their errors so that errors.Is reaches the sentinels below ([ErrNotFound],
// [ErrAlreadyExists], [ErrConditionFailed], [ErrVersionConflict], [ErrTooLarge],
// [ErrInvalidKey], [ErrInvalidArgument]) and errors.As reaches the provider's own error
// (smithy.APIError for awsdynamodb).
package table
