package dataset

import (
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
)

// fastSnappy is arrow's Snappy codec with the fast encoder: arrow encodes
// Snappy pages with s2.EncodeSnappyBetter, which took over a third of the
// CPU of ingest-to-Parquet. s2.EncodeSnappy writes standard Snappy blocks
// (any reader decodes them) faster, in slightly more bytes. Decoding and
// streaming are arrow's own.
type fastSnappy struct {
	compress.Codec
	stream compress.StreamingCodec
}

func (f fastSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (f fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func (f fastSnappy) DecodeWithError(dst, src []byte) ([]byte, error) {
	if ec, ok := f.Codec.(compress.ErrorCodec); ok {
		return ec.DecodeWithError(dst, src)
	}
	return f.Codec.Decode(dst, src), nil
}

func (f fastSnappy) NewReader(r io.Reader) io.ReadCloser  { return f.stream.NewReader(r) }
func (f fastSnappy) NewWriter(w io.Writer) io.WriteCloser { return f.stream.NewWriter(w) }
func (f fastSnappy) NewWriterLevel(w io.Writer, l int) (io.WriteCloser, error) {
	return f.stream.NewWriterLevel(w, l)
}

// init replaces the process-wide Snappy codec of arrow-go (its registry is
// global): every binary linking this package writes Snappy pages with the
// fast encoder.
func init() {
	c, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		return
	}
	if sc, ok := c.(compress.StreamingCodec); ok {
		compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{Codec: c, stream: sc})
	}
}
