package runtime

import (
	"fmt"
	"strings"
)

// DataType is an ONNX tensor element type (the TensorProto.DataType values).
type DataType int32

// Supported element types.
const (
	Float32 DataType = 1
	Int32   DataType = 6
	Int64   DataType = 7
	Bool    DataType = 9
	Float64 DataType = 11
)

var typeNames = map[DataType]string{
	0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
	8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
	15: "COMPLEX128", 16: "BFLOAT16",
}

func (d DataType) String() string {
	if s, ok := typeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

func (d DataType) supported() bool {
	switch d {
	case Float32, Float64, Int32, Int64, Bool:
		return true
	}
	return false
}

// Tensor is a dense row-major tensor. Exactly one of the data slices, the
// one matching Type, holds the Len() elements.
type Tensor struct {
	Type    DataType
	Shape   []int
	Float32 []float32
	Float64 []float64
	Int32   []int32
	Int64   []int64
	Bool    []bool
}

// NewFloat32 returns a float32 tensor that uses data without copying.
func NewFloat32(shape []int, data []float32) (*Tensor, error) {
	return newTensor(&Tensor{Type: Float32, Shape: shape, Float32: data}, len(data))
}

// NewFloat64 returns a float64 tensor that uses data without copying.
func NewFloat64(shape []int, data []float64) (*Tensor, error) {
	return newTensor(&Tensor{Type: Float64, Shape: shape, Float64: data}, len(data))
}

// NewInt32 returns an int32 tensor that uses data without copying.
func NewInt32(shape []int, data []int32) (*Tensor, error) {
	return newTensor(&Tensor{Type: Int32, Shape: shape, Int32: data}, len(data))
}

// NewInt64 returns an int64 tensor that uses data without copying.
func NewInt64(shape []int, data []int64) (*Tensor, error) {
	return newTensor(&Tensor{Type: Int64, Shape: shape, Int64: data}, len(data))
}

// NewBool returns a bool tensor that uses data without copying.
func NewBool(shape []int, data []bool) (*Tensor, error) {
	return newTensor(&Tensor{Type: Bool, Shape: shape, Bool: data}, len(data))
}

func newTensor(t *Tensor, n int) (*Tensor, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Len returns the number of elements the shape describes.
func (t *Tensor) Len() int { return numel(t.Shape) }

// dataLen returns the length of the data slice selected by Type, or -1.
func (t *Tensor) dataLen() int {
	switch t.Type {
	case Float32:
		return len(t.Float32)
	case Float64:
		return len(t.Float64)
	case Int32:
		return len(t.Int32)
	case Int64:
		return len(t.Int64)
	case Bool:
		return len(t.Bool)
	}
	return -1
}

// Validate checks the type, the shape and that the data slice has the
// number of elements the shape describes.
func (t *Tensor) Validate() error {
	if !t.Type.supported() {
		return fmt.Errorf("unsupported tensor type %s", t.Type)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	if n, l := t.Len(), t.dataLen(); n != l {
		return fmt.Errorf("shape %v needs %d %s values, tensor has %d", t.Shape, n, t.Type, l)
	}
	return nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{Type: t.Type, Shape: append([]int{}, t.Shape...)}
	switch t.Type {
	case Float32:
		c.Float32 = append([]float32{}, t.Float32...)
	case Float64:
		c.Float64 = append([]float64{}, t.Float64...)
	case Int32:
		c.Int32 = append([]int32{}, t.Int32...)
	case Int64:
		c.Int64 = append([]int64{}, t.Int64...)
	case Bool:
		c.Bool = append([]bool{}, t.Bool...)
	}
	return c
}

// String describes the type and shape, e.g. "FLOAT[2 3]".
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(t.Type.String())
	fmt.Fprint(&b, t.Shape)
	return b.String()
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// data returns the slice of t for element type T.
func data[T elem](t *Tensor) []T {
	var z T
	switch any(z).(type) {
	case float32:
		return any(t.Float32).([]T)
	case float64:
		return any(t.Float64).([]T)
	case int32:
		return any(t.Int32).([]T)
	case int64:
		return any(t.Int64).([]T)
	case bool:
		return any(t.Bool).([]T)
	}
	panic("unreachable")
}

type elem interface {
	float32 | float64 | int32 | int64 | bool
}

type numeric interface {
	float32 | float64 | int32 | int64
}

type float interface {
	float32 | float64
}
