package word2vec

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Binary model format (all integers little-endian):
//
//	magic      8 bytes  "TFW2VEC\x00"
//	version    uint32   1
//	dim        uint32   vector dimension
//	vocab      uint64   number of words
//	metaLen    uint32   length of the metadata
//	meta       metaLen bytes of JSON: {"params": Params, "epoch_loss": [...]}
//	words      vocab times: uvarint byte length, UTF-8 bytes, uvarint count
//	vectors    vocab*dim float32 (IEEE 754, little-endian), row-major, in word order
//	crc        uint32   CRC-32C (Castagnoli) of every preceding byte
//
// Words are in vocabulary order (most frequent first).
const (
	binaryMagic   = "TFW2VEC\x00"
	binaryVersion = 1

	maxDim     = 1 << 16
	maxWordLen = 1 << 20
	maxMetaLen = 1 << 24
	maxFloats  = 1 << 33 // 32 GiB of vectors
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type binaryMeta struct {
	Params    Params    `json:"params"`
	EpochLoss []float64 `json:"epoch_loss,omitempty"`
}

func (m *Model) check() error {
	if m.Dim < 1 || m.Dim > maxDim {
		return fmt.Errorf("checking dim %d: must be in [1, %d]", m.Dim, maxDim)
	}
	if len(m.Vectors) != len(m.Words)*m.Dim {
		return fmt.Errorf("checking vectors: have %d floats, want %d words x %d", len(m.Vectors), len(m.Words), m.Dim)
	}
	if m.Counts != nil && len(m.Counts) != len(m.Words) {
		return fmt.Errorf("checking counts: have %d, want %d", len(m.Counts), len(m.Words))
	}
	return nil
}

// WriteBinary writes the model in the binary format documented above.
func (m *Model) WriteBinary(w io.Writer) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("writing binary model: %w", err)
	}
	meta, err := json.Marshal(binaryMeta{Params: m.Params, EpochLoss: m.Stats.EpochLoss})
	if err != nil {
		return fmt.Errorf("encoding binary model metadata: %w", err)
	}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	var hdr [28]byte
	copy(hdr[:8], binaryMagic)
	binary.LittleEndian.PutUint32(hdr[8:], binaryVersion)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(m.Dim))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(len(m.Words)))
	binary.LittleEndian.PutUint32(hdr[24:], uint32(len(meta)))
	bw.Write(hdr[:])
	bw.Write(meta)
	var tmp []byte
	for i, word := range m.Words {
		var c int64
		if m.Counts != nil {
			c = m.Counts[i]
		}
		if c < 0 {
			return fmt.Errorf("writing word %q: negative count %d", word, c)
		}
		tmp = binary.AppendUvarint(tmp[:0], uint64(len(word)))
		tmp = append(tmp, word...)
		tmp = binary.AppendUvarint(tmp, uint64(c))
		bw.Write(tmp)
	}
	var fb [4]byte
	for _, v := range m.Vectors {
		binary.LittleEndian.PutUint32(fb[:], math.Float32bits(v))
		bw.Write(fb[:])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing binary model: %w", err)
	}
	binary.LittleEndian.PutUint32(fb[:], crc.Sum32())
	if _, err := w.Write(fb[:]); err != nil {
		return fmt.Errorf("writing binary model checksum: %w", err)
	}
	return nil
}

// crcReader hashes every byte read through it.
type crcReader struct {
	r *bufio.Reader
	h hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.h.Write([]byte{b})
	}
	return b, err
}

// ReadBinary reads a model written by WriteBinary and verifies its checksum.
func ReadBinary(r io.Reader) (*Model, error) {
	cr := &crcReader{r: bufio.NewReaderSize(r, 1<<16), h: crc32.New(castagnoli)}
	var hdr [28]byte
	if _, err := io.ReadFull(cr, hdr[:]); err != nil {
		return nil, fmt.Errorf("reading binary model header: %w", err)
	}
	if string(hdr[:8]) != binaryMagic {
		return nil, fmt.Errorf("reading binary model header: bad magic %q", hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != binaryVersion {
		return nil, fmt.Errorf("reading binary model header: unsupported version %d", v)
	}
	dim := binary.LittleEndian.Uint32(hdr[12:])
	n := binary.LittleEndian.Uint64(hdr[16:])
	metaLen := binary.LittleEndian.Uint32(hdr[24:])
	if dim < 1 || dim > maxDim {
		return nil, fmt.Errorf("reading binary model header: dim %d out of range", dim)
	}
	if n > maxFloats/uint64(dim) {
		return nil, fmt.Errorf("reading binary model header: %d words of dim %d is too large", n, dim)
	}
	if metaLen > maxMetaLen {
		return nil, fmt.Errorf("reading binary model header: metadata length %d too large", metaLen)
	}
	meta := make([]byte, metaLen)
	if _, err := io.ReadFull(cr, meta); err != nil {
		return nil, fmt.Errorf("reading binary model metadata: %w", err)
	}
	var bm binaryMeta
	if err := json.Unmarshal(meta, &bm); err != nil {
		return nil, fmt.Errorf("decoding binary model metadata: %w", err)
	}
	m := &Model{Dim: int(dim), Params: bm.Params}
	m.Stats.EpochLoss = bm.EpochLoss
	m.Words = make([]string, 0, min(n, 1<<20))
	m.Counts = make([]int64, 0, min(n, 1<<20))
	var buf []byte
	for i := uint64(0); i < n; i++ {
		l, err := binary.ReadUvarint(cr)
		if err != nil {
			return nil, fmt.Errorf("reading word %d length: %w", i, noEOF(err))
		}
		if l > maxWordLen {
			return nil, fmt.Errorf("reading word %d: length %d too large", i, l)
		}
		if uint64(cap(buf)) < l {
			buf = make([]byte, l)
		}
		buf = buf[:l]
		if _, err := io.ReadFull(cr, buf); err != nil {
			return nil, fmt.Errorf("reading word %d: %w", i, noEOF(err))
		}
		c, err := binary.ReadUvarint(cr)
		if err != nil {
			return nil, fmt.Errorf("reading count of word %q: %w", buf, noEOF(err))
		}
		if c > math.MaxInt64 {
			return nil, fmt.Errorf("reading count of word %q: %d out of range", buf, c)
		}
		m.Words = append(m.Words, string(buf))
		m.Counts = append(m.Counts, int64(c))
	}
	m.Vectors = make([]float32, n*uint64(dim))
	block := make([]byte, 1<<16)
	for off := 0; off < len(m.Vectors); {
		k := min(len(block)/4, len(m.Vectors)-off)
		if _, err := io.ReadFull(cr, block[:4*k]); err != nil {
			return nil, fmt.Errorf("reading vectors: %w", noEOF(err))
		}
		for j := range k {
			m.Vectors[off+j] = math.Float32frombits(binary.LittleEndian.Uint32(block[4*j:]))
		}
		off += k
	}
	sum := cr.h.Sum32()
	var fb [4]byte
	if _, err := io.ReadFull(cr.r, fb[:]); err != nil {
		return nil, fmt.Errorf("reading binary model checksum: %w", noEOF(err))
	}
	if got := binary.LittleEndian.Uint32(fb[:]); got != sum {
		return nil, fmt.Errorf("verifying binary model checksum: stored %08x, computed %08x", got, sum)
	}
	m.buildIndex()
	if len(m.index) != len(m.Words) {
		return nil, fmt.Errorf("reading binary model: duplicate words")
	}
	return m, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// checkTextWord rejects words the text formats cannot carry.
func checkTextWord(w string) error {
	switch {
	case w == "":
		return errors.New("empty word")
	case strings.ContainsAny(w, " \n\r"):
		return errors.New("contains a space or line break")
	case !utf8.ValidString(w):
		return errors.New("invalid UTF-8")
	}
	return nil
}

// WriteText writes the standard word2vec text format: a "<words> <dim>"
// header line, then one line per word, "word v1 v2 ... vdim", with each
// float in the shortest form that reads back to the same float32. gensim
// loads it with KeyedVectors.load_word2vec_format(path, binary=False).
// Words must be non-empty valid UTF-8 without spaces or line breaks.
func (m *Model) WriteText(w io.Writer) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("writing text vectors: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, "%d %d\n", len(m.Words), m.Dim)
	line := make([]byte, 0, 16*m.Dim)
	for i, word := range m.Words {
		if err := checkTextWord(word); err != nil {
			return fmt.Errorf("writing word %q: %w", word, err)
		}
		line = append(line[:0], word...)
		for _, v := range m.Vectors[i*m.Dim : (i+1)*m.Dim] {
			line = append(line, ' ')
			line = strconv.AppendFloat(line, float64(v), 'g', -1, 32)
		}
		line = append(line, '\n')
		bw.Write(line)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing text vectors: %w", err)
	}
	return nil
}

// ReadText reads the word2vec text format (as written by WriteText or
// gensim's save_word2vec_format(binary=False)). Counts are unknown (0).
func ReadText(r io.Reader) (*Model, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<26)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading text vectors header: %w", err)
		}
		return nil, fmt.Errorf("reading text vectors header: %w", io.ErrUnexpectedEOF)
	}
	var n, dim int
	if _, err := fmt.Sscanf(strings.TrimSpace(sc.Text()), "%d %d", &n, &dim); err != nil {
		return nil, fmt.Errorf("parsing text vectors header %q: %w", sc.Text(), err)
	}
	if dim < 1 || dim > maxDim || n < 0 || uint64(n) > maxFloats/uint64(dim) {
		return nil, fmt.Errorf("parsing text vectors header %q: sizes out of range", sc.Text())
	}
	m := &Model{Dim: dim, Words: make([]string, 0, n), Counts: make([]int64, n), Vectors: make([]float32, 0, n*dim)}
	for lineNo := 2; len(m.Words) < n; lineNo++ {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return nil, fmt.Errorf("reading text vectors line %d: %w", lineNo, err)
			}
			return nil, fmt.Errorf("reading text vectors line %d: %w (want %d words)", lineNo, io.ErrUnexpectedEOF, n)
		}
		line := bytes.TrimRight(sc.Bytes(), " \r")
		word, rest, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			return nil, fmt.Errorf("parsing text vectors line %d: no vector", lineNo)
		}
		fields := strings.Fields(string(rest))
		if len(fields) != dim {
			return nil, fmt.Errorf("parsing text vectors line %d (word %q): %d values, want %d", lineNo, word, len(fields), dim)
		}
		for _, f := range fields {
			v, err := strconv.ParseFloat(f, 32)
			if err != nil {
				return nil, fmt.Errorf("parsing text vectors line %d (word %q): %w", lineNo, word, err)
			}
			m.Vectors = append(m.Vectors, float32(v))
		}
		m.Words = append(m.Words, string(word))
	}
	m.buildIndex()
	if len(m.index) != len(m.Words) {
		return nil, fmt.Errorf("reading text vectors: duplicate words")
	}
	return m, nil
}

// WriteVocab writes the vocabulary as "word count" lines in vocabulary
// order (the format of word2vec -save-vocab and gensim's fvocab).
func (m *Model) WriteVocab(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for i, word := range m.Words {
		if err := checkTextWord(word); err != nil {
			return fmt.Errorf("writing vocabulary word %q: %w", word, err)
		}
		var c int64
		if i < len(m.Counts) {
			c = m.Counts[i]
		}
		line = append(line[:0], word...)
		line = append(line, ' ')
		line = strconv.AppendInt(line, c, 10)
		line = append(line, '\n')
		bw.Write(line)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing vocabulary: %w", err)
	}
	return nil
}

// ReadVocab reads a file written by WriteVocab.
func ReadVocab(r io.Reader) (words []string, counts []int64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), maxWordLen+32)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimRight(sc.Text(), "\r")
		word, cs, ok := strings.Cut(line, " ")
		if !ok {
			return nil, nil, fmt.Errorf("parsing vocabulary line %d %q: no count", lineNo, line)
		}
		c, err := strconv.ParseInt(cs, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing vocabulary line %d count: %w", lineNo, err)
		}
		words = append(words, word)
		counts = append(counts, c)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading vocabulary: %w", err)
	}
	return words, counts, nil
}
