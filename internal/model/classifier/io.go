package classifier

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tweetflow/tweetflow/internal/weak"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"time"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/text"
)

// Files of a model folder.
const (
	WeightsFile    = "weights.bin"
	FeaturizerFile = "featurizer.json"
	VocabFile      = "vocab.txt"
	MetadataFile   = "metadata.json"
)

// ModelFormat is the value of Metadata.Format written by this package.
const ModelFormat = "tweetflow-classifier/v1"

// weightsMagic starts weights.bin.
const weightsMagic = "TFCLSW01"

// DataDigest identifies a dataset a model was trained or validated on.
type DataDigest struct {
	Name   string `json:"name"`             // role, e.g. "train", "validation", "vectors"
	URI    string `json:"uri,omitempty"`    // where it was read from
	Digest string `json:"digest,omitempty"` // e.g. "sha256:..." of the artifact manifest
	Rows   int    `json:"rows,omitempty"`
}

// Metadata is metadata.json. Save fills Format, Labels, Rows, Dim, Hidden
// and Featurizer from the model; the caller fills the rest.
type Metadata struct {
	Format       string    `json:"format"`
	ModelVersion string    `json:"model_version"` // the run id
	CreatedAt    time.Time `json:"created_at"`
	Labels       []string  `json:"labels"`
	// PositiveLabel is the positive class of a two-class model (its ROC
	// and PR curves are reported); empty for more classes or when unknown.
	PositiveLabel string             `json:"positive_label,omitempty"`
	Rows          int                `json:"rows"`
	Dim           int                `json:"dim"`
	Hidden        int                `json:"hidden"`
	Featurizer    featurize.Settings `json:"featurizer"`
	Cleaning      *text.Options      `json:"cleaning,omitempty"` // how the clean stage cleaned the training text; serving must clean alike
	Params        Params             `json:"params"`
	Training      *Result            `json:"training,omitempty"` // epochs, best epoch, class weights
	Data          []DataDigest       `json:"data,omitempty"`
	Metrics       map[string]float64 `json:"metrics,omitempty"` // e.g. validation macro recall
	Extra         map[string]string  `json:"extra,omitempty"`   // free-form: pipeline, git commit, ...
}

// Save writes the model folder through create: weights.bin, featurizer.json,
// vocab.txt and metadata.json (md may be nil). Every writer is closed;
// the first error is returned.
func Save(m *Model, md *Metadata, create func(name string) (io.WriteCloser, error)) error {
	var meta Metadata
	if md != nil {
		meta = *md
	}
	meta.Format = ModelFormat
	meta.Labels = m.labels
	meta.Rows, meta.Dim, meta.Hidden = m.rows, m.dim, m.hidden
	meta.Featurizer = m.feat.Settings()
	writeTo := func(name string, write func(io.Writer) error) (err error) {
		w, err := create(name)
		if err != nil {
			return fmt.Errorf("creating %q: %w", name, err)
		}
		defer func() {
			if cerr := w.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("closing %q: %w", name, cerr)
			}
		}()
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := write(bw); err != nil {
			return fmt.Errorf("writing %q: %w", name, err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("writing %q: %w", name, err)
		}
		return nil
	}
	if err := writeTo(WeightsFile, m.writeWeights); err != nil {
		return err
	}
	if err := writeTo(FeaturizerFile, func(w io.Writer) error { return m.feat.Save(w, io.Discard) }); err != nil {
		return err
	}
	if err := writeTo(VocabFile, func(w io.Writer) error { return m.feat.Save(io.Discard, w) }); err != nil {
		return err
	}
	if m.feat.HasRules() {
		rules := m.feat.Rules()
		if rules == nil {
			return fmt.Errorf("writing %q: %w", featurize.RulesFile, featurize.ErrNoRules)
		}
		if err := writeTo(featurize.RulesFile, func(w io.Writer) error { _, err := w.Write(rules.Source()); return err }); err != nil {
			return err
		}
	}
	return writeTo(MetadataFile, func(w io.Writer) error {
		b, err := json.MarshalIndent(meta, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

// writeWeights writes weights.bin: see the package documentation.
func (m *Model) writeWeights(w io.Writer) error {
	crc := crc32.NewIEEE()
	mw := io.MultiWriter(w, crc)
	hdr := []byte(weightsMagic)
	for _, v := range []int{1, m.rows, m.dim, m.hidden, len(m.labels), 0} {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(v))
	}
	if _, err := mw.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, part := range m.parts() {
		for len(part) > 0 {
			k := min(len(part), cap(buf)/4)
			buf = buf[:0]
			for _, v := range part[:k] {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			if _, err := mw.Write(buf); err != nil {
				return err
			}
			part = part[k:]
		}
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// parts lists the weight arrays in file order.
func (m *Model) parts() [][]float32 {
	if m.hidden > 0 {
		return [][]float32{m.emb, m.w1, m.b1, m.w2, m.b2}
	}
	return [][]float32{m.emb, m.w2, m.b2}
}

// LoadFS reads a model folder from fsys (e.g. os.DirFS(dir)).
func LoadFS(fsys fs.FS) (*Model, *Metadata, error) {
	return Load(func(name string) (io.ReadCloser, error) { return fsys.Open(name) })
}

// Load reads a model folder written by Save through open.
func Load(open func(name string) (io.ReadCloser, error)) (*Model, *Metadata, error) {
	readAll := func(name string) ([]byte, error) {
		r, err := open(name)
		if err != nil {
			return nil, fmt.Errorf("opening %q: %w", name, err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", name, err)
		}
		return b, nil
	}
	var meta Metadata
	b, err := readAll(MetadataFile)
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, nil, fmt.Errorf("decoding %q: %w", MetadataFile, err)
	}
	if meta.Format != ModelFormat {
		return nil, nil, fmt.Errorf("checking %q format %q: want %q", MetadataFile, meta.Format, ModelFormat)
	}
	fr, err := open(FeaturizerFile)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %q: %w", FeaturizerFile, err)
	}
	defer fr.Close()
	vr, err := open(VocabFile)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %q: %w", VocabFile, err)
	}
	defer vr.Close()
	f, err := featurize.Load(fr, vr)
	if err != nil {
		return nil, nil, fmt.Errorf("loading featurizer: %w", err)
	}
	if f.HasRules() {
		b, err := readAll(featurize.RulesFile)
		if err != nil {
			return nil, nil, fmt.Errorf("loading the rule features: %w", err)
		}
		if err := AttachRules(f, b); err != nil {
			return nil, nil, err
		}
	}
	if len(meta.Labels) < 2 {
		return nil, nil, fmt.Errorf("checking %q labels %q: need at least 2", MetadataFile, meta.Labels)
	}
	wr, err := open(WeightsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %q: %w", WeightsFile, err)
	}
	defer wr.Close()
	m, err := readWeights(bufio.NewReaderSize(wr, 1<<16), f, meta.Labels)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %q: %w", WeightsFile, err)
	}
	return m, &meta, nil
}

// errCorrupt is wrapped by weight-file errors.
var errCorrupt = errors.New("corrupt weights file")

func readWeights(r io.Reader, f *featurize.Featurizer, labels []string) (*Model, error) {
	crc := crc32.NewIEEE()
	tr := io.TeeReader(r, crc)
	hdr := make([]byte, len(weightsMagic)+6*4)
	if _, err := io.ReadFull(tr, hdr); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if string(hdr[:8]) != weightsMagic {
		return nil, fmt.Errorf("%w: magic %q, want %q", errCorrupt, hdr[:8], weightsMagic)
	}
	v := make([]int, 6)
	for i := range v {
		v[i] = int(binary.LittleEndian.Uint32(hdr[8+4*i:]))
	}
	version, rows, dim, hidden, classes := v[0], v[1], v[2], v[3], v[4]
	switch {
	case version != 1:
		return nil, fmt.Errorf("%w: version %d, want 1", errCorrupt, version)
	case rows != f.Rows():
		return nil, fmt.Errorf("%w: %d rows, featurizer has %d", errCorrupt, rows, f.Rows())
	case classes != len(labels):
		return nil, fmt.Errorf("%w: %d classes, metadata has %d labels", errCorrupt, classes, len(labels))
	case dim < 1 || dim > 1<<16 || hidden > 1<<16:
		return nil, fmt.Errorf("%w: dim %d, hidden %d", errCorrupt, dim, hidden)
	}
	m := newModel(f, labels, dim, hidden)
	buf := make([]byte, 1<<16)
	for _, part := range m.parts() {
		for len(part) > 0 {
			k := min(len(part), len(buf)/4)
			if _, err := io.ReadFull(tr, buf[:4*k]); err != nil {
				return nil, fmt.Errorf("%w: reading weights: %v", errCorrupt, err)
			}
			for i := range part[:k] {
				part[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
			}
			part = part[k:]
		}
	}
	sum := crc.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return nil, fmt.Errorf("%w: reading checksum: %v", errCorrupt, err)
	}
	if got := binary.LittleEndian.Uint32(tail[:]); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, computed %08x", errCorrupt, got, sum)
	}
	if n, _ := r.Read(tail[:1]); n > 0 {
		return nil, fmt.Errorf("%w: data after the checksum", errCorrupt)
	}
	for j := 0; j < dim; j++ {
		if m.emb[j] != 0 {
			return nil, fmt.Errorf("%w: padding row is not zero", errCorrupt)
		}
	}
	return m, nil
}

// AttachRules parses the rules file of a featurizer with rule features
// (featurize.RulesFile, as saved with the model) and attaches it.
func AttachRules(f *featurize.Featurizer, rulesFile []byte) error {
	rf, err := weak.ParseRuleFeatures(featurize.RulesFile, rulesFile)
	if err != nil {
		return fmt.Errorf("loading the rule features: %w", err)
	}
	if err := f.AttachRules(rf); err != nil {
		return fmt.Errorf("loading the rule features: %w", err)
	}
	return nil
}
