package dataset

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// SchemaVersion is the version of the tweetflow dataset schema. It is stored
// in every shard's Parquet key/value metadata under MetaSchemaVersion and
// bumped on any incompatible change.
const SchemaVersion = "1"

// Parquet key/value metadata keys written to every shard.
const (
	MetaSchemaVersion = "tweetflow.schema_version"
	MetaFormat        = "tweetflow.format" // always "tweets"
)

// Column names, in schema order.
const (
	ColID        = "id"
	ColCreatedAt = "created_at"
	ColUser      = "user"
	ColText      = "text"
	ColLabel     = "label"
	ColSource    = "source"
	ColCleanText = "clean_text"
	ColURLs      = "urls"
	// The weak-label columns the label stage fills; optional (older shards
	// without them read as unset, so the schema version stays 1).
	ColLabelConfidence = "label_confidence"
	ColLabelProbs      = "label_probs"
)

// Column indexes in Schema().
const (
	idxID = iota
	idxCreatedAt
	idxUser
	idxText
	idxLabel
	idxSource
	idxCleanText
	idxURLs
	idxLabelConfidence
	idxLabelProbs
	numCols
)

var (
	timestampType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	urlsType      = arrow.ListOfNonNullable(arrow.BinaryTypes.String)
	probsType     = arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64)
)

// Schema returns the Arrow schema of a tweetflow dataset shard, with the
// schema version in its metadata (pqarrow copies it into the Parquet
// key/value metadata).
func Schema() *arrow.Schema {
	md := arrow.NewMetadata([]string{MetaFormat, MetaSchemaVersion}, []string{"tweets", SchemaVersion})
	return arrow.NewSchema([]arrow.Field{
		{Name: ColID, Type: arrow.BinaryTypes.String},
		{Name: ColCreatedAt, Type: timestampType, Nullable: true},
		{Name: ColUser, Type: arrow.BinaryTypes.String},
		{Name: ColText, Type: arrow.BinaryTypes.String},
		{Name: ColLabel, Type: arrow.BinaryTypes.String},
		{Name: ColSource, Type: arrow.BinaryTypes.String},
		{Name: ColCleanText, Type: arrow.BinaryTypes.String},
		{Name: ColURLs, Type: urlsType},
		{Name: ColLabelConfidence, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: ColLabelProbs, Type: probsType, Nullable: true},
	}, &md)
}
