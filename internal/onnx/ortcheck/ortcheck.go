//go:build cgo

package ortcheck

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

var (
	initMu   sync.Mutex
	initPath string
)

// initialize loads the library once per process. ONNX Runtime has one
// environment per process, so a later call with another path fails.
func initialize(libPath string) error {
	initMu.Lock()
	defer initMu.Unlock()
	if initPath == libPath {
		return nil
	}
	if _, err := os.Stat(libPath); err != nil {
		return fmt.Errorf("initializing onnxruntime %q: %w (run %s)", libPath, err, InstallScript)
	}
	if initPath != "" {
		return fmt.Errorf("initializing onnxruntime %q: already initialized with %q", libPath, initPath)
	}
	ort.SetSharedLibraryPath(libPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("initializing onnxruntime %q: %w", libPath, err)
	}
	initPath = libPath
	return nil
}

// Version returns the ONNX Runtime version of the library at libPath.
func Version(libPath string) (string, error) {
	if err := initialize(libPath); err != nil {
		return "", err
	}
	return ort.GetVersion(), nil
}

// Run scores ids (a rectangular [batch, seq] batch of token ids) with the
// classifier model in ONNX Runtime and returns the "probabilities" output as
// one row per input row.
func Run(libPath string, model []byte, ids [][]int64) ([][]float32, error) {
	if len(ids) == 0 {
		return nil, errors.New("running onnxruntime: empty batch")
	}
	seq := len(ids[0])
	flat := make([]int64, 0, len(ids)*seq)
	for i, row := range ids {
		if len(row) != seq {
			return nil, fmt.Errorf("running onnxruntime: row %d has %d ids, row 0 has %d", i, len(row), seq)
		}
		flat = append(flat, row...)
	}
	if err := initialize(libPath); err != nil {
		return nil, err
	}

	in, err := runtime.NewInt64([]int{len(ids), seq}, flat)
	if err != nil {
		return nil, fmt.Errorf("running onnxruntime: %w", err)
	}
	outs, err := RunGraph(libPath, model, map[string]*runtime.Tensor{"token_ids": in}, []string{"probabilities"})
	if err != nil {
		return nil, err
	}
	out := outs["probabilities"]
	if out.Type != runtime.Float32 || len(out.Shape) != 2 || out.Shape[0] != len(ids) {
		return nil, fmt.Errorf("running onnxruntime: output %v for batch %d", out, len(ids))
	}
	classes := out.Shape[1]
	res := make([][]float32, len(ids))
	for i := range res {
		res[i] = out.Float32[i*classes : (i+1)*classes]
	}
	return res, nil
}

// RunGraph runs any model in ONNX Runtime (one intra-op thread) on inputs
// and returns the named outputs converted to runtime tensors, so results can
// be compared with package runtime directly.
func RunGraph(libPath string, model []byte, inputs map[string]*runtime.Tensor, outputs []string) (map[string]*runtime.Tensor, error) {
	if err := initialize(libPath); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	slices.Sort(names)
	vals := make([]ort.Value, 0, len(names))
	defer func() {
		for _, v := range vals {
			v.Destroy()
		}
	}()
	for _, n := range names {
		v, err := toORT(inputs[n])
		if err != nil {
			return nil, fmt.Errorf("converting input %q for onnxruntime: %w", n, err)
		}
		vals = append(vals, v)
	}

	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("creating onnxruntime session options: %w", err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("setting onnxruntime threads: %w", err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("setting onnxruntime threads: %w", err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(model, names, outputs, opts)
	if err != nil {
		return nil, fmt.Errorf("loading model into onnxruntime: %w", err)
	}
	defer sess.Destroy()

	outs := make([]ort.Value, len(outputs))
	if err := sess.Run(vals, outs); err != nil {
		return nil, fmt.Errorf("running onnxruntime: %w", err)
	}
	res := make(map[string]*runtime.Tensor, len(outputs))
	var convErr error
	for i, o := range outs {
		if o == nil {
			continue
		}
		t, err := fromORT(o)
		o.Destroy()
		if err != nil && convErr == nil {
			convErr = fmt.Errorf("converting onnxruntime output %q: %w", outputs[i], err)
		}
		res[outputs[i]] = t
	}
	if convErr != nil {
		return nil, convErr
	}
	return res, nil
}

func toORT(t *runtime.Tensor) (ort.Value, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	shape := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int64(d)
	}
	s := ort.NewShape(shape...)
	switch t.Type {
	case runtime.Float32:
		return ort.NewTensor(s, slices.Clone(t.Float32))
	case runtime.Float64:
		return ort.NewTensor(s, slices.Clone(t.Float64))
	case runtime.Int32:
		return ort.NewTensor(s, slices.Clone(t.Int32))
	case runtime.Int64:
		return ort.NewTensor(s, slices.Clone(t.Int64))
	case runtime.Bool:
		return ort.NewTensor(s, slices.Clone(t.Bool))
	}
	return nil, fmt.Errorf("unsupported type %s", t.Type)
}

func fromORT(v ort.Value) (*runtime.Tensor, error) {
	shape := make([]int, len(v.GetShape()))
	for i, d := range v.GetShape() {
		shape[i] = int(d)
	}
	switch o := v.(type) {
	case *ort.Tensor[float32]:
		return runtime.NewFloat32(shape, slices.Clone(o.GetData()))
	case *ort.Tensor[float64]:
		return runtime.NewFloat64(shape, slices.Clone(o.GetData()))
	case *ort.Tensor[int32]:
		return runtime.NewInt32(shape, slices.Clone(o.GetData()))
	case *ort.Tensor[int64]:
		return runtime.NewInt64(shape, slices.Clone(o.GetData()))
	case *ort.Tensor[bool]:
		return runtime.NewBool(shape, slices.Clone(o.GetData()))
	}
	return nil, fmt.Errorf("unsupported onnxruntime value %T", v)
}
