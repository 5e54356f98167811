package dataset

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// schemaV1Without writes a shard with the columns of a dataset written
// before the weak-label columns existed.
func shardWithoutWeakColumns(t *testing.T) []byte {
	t.Helper()
	md := arrow.NewMetadata([]string{MetaFormat, MetaSchemaVersion}, []string{"tweets", SchemaVersion})
	full := Schema()
	var fields []arrow.Field
	for _, f := range full.Fields() {
		if f.Name != ColLabelConfidence && f.Name != ColLabelProbs {
			fields = append(fields, f)
		}
	}
	sc := arrow.NewSchema(fields, &md)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, f := range fields {
		switch f.Name {
		case ColCreatedAt:
			b.Field(i).AppendNull()
		case ColURLs:
			b.Field(i).(*array.ListBuilder).Append(true)
		default:
			b.Field(i).(*array.StringBuilder).Append(map[string]string{ColID: "1", ColText: "old row", ColLabel: "positive"}[f.Name])
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(sc, &buf, nil, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOldShardWithoutWeakLabelColumns(t *testing.T) {
	data := shardWithoutWeakColumns(t)
	var got []Tweet
	if err := ReadShard(bytes.NewReader(data), int64(len(data)), func(tw *Tweet) error {
		got = append(got, *tw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != "old row" || got[0].LabelConfidence != 0 || got[0].LabelProbs != nil {
		t.Fatalf("got %+v, want one row with unset weak labels", got)
	}
	v := newValidator(ValidateOptions{})
	if err := v.shard(context.Background(), "part-00000.parquet", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := v.result(); err != nil {
		t.Fatalf("an old shard without the optional weak-label columns must validate: %v", err)
	}
}

func TestValidateWeakLabelRanges(t *testing.T) {
	s, st := writeAll(t, []Tweet{
		{ID: "1", Text: "ok", LabelConfidence: 0.5, LabelProbs: map[string]float64{"a": 0.5, "b": 0.5}},
		{ID: "2", Text: "bad confidence", LabelConfidence: 1.5},
		{ID: "3", Text: "bad probs", LabelProbs: map[string]float64{"a": -0.1}},
	})
	data := s.files[st.Shards[0]].Bytes()
	v := newValidator(ValidateOptions{})
	if err := v.shard(context.Background(), "part-00000.parquet", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	err := v.result()
	if err == nil {
		t.Fatal("want problems for rows 2 and 3")
	}
	for _, want := range []string{"row 2", ColLabelConfidence, "row 3", ColLabelProbs} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
