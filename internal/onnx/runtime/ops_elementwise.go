package runtime

import (
	"errors"
	"fmt"
	"math"
)

type arithOp int

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
	opMax
	opMin
)

func apply[T numeric](op arithOp, x, y T) T {
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	case opDiv:
		return x / y
	case opMax:
		return max(x, y)
	default:
		return min(x, y)
	}
}

// arith computes o = a op b over a broadcast plan.
func arith[T numeric](op arithOp, p *plan, a, b, o []T) {
	for _, sg := range p.segs {
		ov := o[sg.o : sg.o+sg.n]
		switch {
		case p.as == 1 && p.bs == 1:
			av, bv := a[sg.a:sg.a+sg.n], b[sg.b:sg.b+sg.n]
			switch op {
			case opAdd:
				for i := range ov {
					ov[i] = av[i] + bv[i]
				}
			case opSub:
				for i := range ov {
					ov[i] = av[i] - bv[i]
				}
			case opMul:
				for i := range ov {
					ov[i] = av[i] * bv[i]
				}
			case opDiv:
				for i := range ov {
					ov[i] = av[i] / bv[i]
				}
			case opMax:
				for i := range ov {
					ov[i] = max(av[i], bv[i])
				}
			case opMin:
				for i := range ov {
					ov[i] = min(av[i], bv[i])
				}
			}
		case p.as == 1:
			av, y := a[sg.a:sg.a+sg.n], b[sg.b]
			switch op {
			case opAdd:
				for i := range ov {
					ov[i] = av[i] + y
				}
			case opSub:
				for i := range ov {
					ov[i] = av[i] - y
				}
			case opMul:
				for i := range ov {
					ov[i] = av[i] * y
				}
			case opDiv:
				for i := range ov {
					ov[i] = av[i] / y
				}
			case opMax:
				for i := range ov {
					ov[i] = max(av[i], y)
				}
			case opMin:
				for i := range ov {
					ov[i] = min(av[i], y)
				}
			}
		case p.bs == 1:
			x, bv := a[sg.a], b[sg.b:sg.b+sg.n]
			for i := range ov {
				ov[i] = apply(op, x, bv[i])
			}
		default:
			v := apply(op, a[sg.a], b[sg.b])
			for i := range ov {
				ov[i] = v
			}
		}
	}
}

func isInt(dt DataType) bool { return dt == Int32 || dt == Int64 }

func hasZero[T numeric](v []T) bool {
	for _, x := range v {
		if x == 0 {
			return true
		}
	}
	return false
}

// binaryArith is the kernel of Add, Sub, Mul, Div and the two-input Max/Min.
func binaryArith(op arithOp) builder {
	return func(attrs, int64) (kernel, error) {
		return func(s *Session, n *node, in []*Tensor) error {
			if len(in) != 2 || in[0] == nil || in[1] == nil {
				return fmt.Errorf("want 2 inputs, have %d", len(in))
			}
			return arithInto(s, n.outputs[0], op, in[0], in[1])
		}, nil
	}
}

func arithInto(s *Session, slot int, op arithOp, a, b *Tensor) error {
	if a.Type != b.Type {
		return fmt.Errorf("input types %s and %s differ", a.Type, b.Type)
	}
	p, err := s.broadcast(a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if op == opDiv && isInt(b.Type) && (hasZero(b.Int32) || hasZero(b.Int64)) {
		return errors.New("integer division by zero")
	}
	// b may alias the output slot when folding Max/Min over many inputs.
	o := s.out(slot, a.Type, p.shape)
	switch a.Type {
	case Float32:
		arith(op, p, a.Float32, b.Float32, o.Float32)
	case Float64:
		arith(op, p, a.Float64, b.Float64, o.Float64)
	case Int32:
		arith(op, p, a.Int32, b.Int32, o.Int32)
	case Int64:
		arith(op, p, a.Int64, b.Int64, o.Int64)
	default:
		return fmt.Errorf("unsupported input type %s", a.Type)
	}
	return nil
}

// variadic builds Max and Min (1 or more inputs, broadcast).
func variadic(op arithOp) builder {
	return func(attrs, int64) (kernel, error) {
		return func(s *Session, n *node, in []*Tensor) error {
			if len(in) == 0 {
				return errors.New("want at least 1 input")
			}
			for i, t := range in {
				if t == nil {
					return fmt.Errorf("input %d is missing", i)
				}
			}
			if len(in) == 1 {
				src := in[0]
				o := s.out(n.outputs[0], src.Type, src.Shape)
				copyData(o, src)
				return nil
			}
			if err := arithInto(s, n.outputs[0], op, in[0], in[1]); err != nil {
				return err
			}
			for _, t := range in[2:] {
				// Fold into a copy: the output buffer cannot be read and
				// written by the same broadcast.
				acc := s.vals[n.outputs[0]].Clone()
				if err := arithInto(s, n.outputs[0], op, acc, t); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}
}

func copyData(dst, src *Tensor) {
	switch src.Type {
	case Float32:
		copy(dst.Float32, src.Float32)
	case Float64:
		copy(dst.Float64, src.Float64)
	case Int32:
		copy(dst.Int32, src.Int32)
	case Int64:
		copy(dst.Int64, src.Int64)
	case Bool:
		copy(dst.Bool, src.Bool)
	}
}

func equal[T comparable](p *plan, a, b []T, o []bool) {
	for _, sg := range p.segs {
		ov := o[sg.o : sg.o+sg.n]
		switch {
		case p.as == 1 && p.bs == 1:
			av, bv := a[sg.a:sg.a+sg.n], b[sg.b:sg.b+sg.n]
			for i := range ov {
				ov[i] = av[i] == bv[i]
			}
		case p.as == 1:
			av, y := a[sg.a:sg.a+sg.n], b[sg.b]
			for i := range ov {
				ov[i] = av[i] == y
			}
		case p.bs == 1:
			x, bv := a[sg.a], b[sg.b:sg.b+sg.n]
			for i := range ov {
				ov[i] = x == bv[i]
			}
		default:
			v := a[sg.a] == b[sg.b]
			for i := range ov {
				ov[i] = v
			}
		}
	}
}

func buildEqual(attrs, int64) (kernel, error) {
	return func(s *Session, n *node, in []*Tensor) error {
		if len(in) != 2 || in[0] == nil || in[1] == nil {
			return fmt.Errorf("want 2 inputs, have %d", len(in))
		}
		a, b := in[0], in[1]
		if a.Type != b.Type {
			return fmt.Errorf("input types %s and %s differ", a.Type, b.Type)
		}
		p, err := s.broadcast(a.Shape, b.Shape)
		if err != nil {
			return err
		}
		o := s.out(n.outputs[0], Bool, p.shape)
		switch a.Type {
		case Float32:
			equal(p, a.Float32, b.Float32, o.Bool)
		case Float64:
			equal(p, a.Float64, b.Float64, o.Bool)
		case Int32:
			equal(p, a.Int32, b.Int32, o.Bool)
		case Int64:
			equal(p, a.Int64, b.Int64, o.Bool)
		case Bool:
			equal(p, a.Bool, b.Bool, o.Bool)
		}
		return nil
	}, nil
}

func buildNot(attrs, int64) (kernel, error) {
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		if x.Type != Bool {
			return fmt.Errorf("input type %s, want BOOL", x.Type)
		}
		o := s.out(n.outputs[0], Bool, x.Shape)
		for i, v := range x.Bool {
			o.Bool[i] = !v
		}
		return nil
	}, nil
}

func oneInput(in []*Tensor) (*Tensor, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, errors.New("missing input")
	}
	return in[0], nil
}

type unaryOp int

const (
	opRelu unaryOp = iota
	opNeg
	opAbs
	opSigmoid
	opTanh
	opExp
	opLog
	opSqrt
)

func unaryFloat[T float](op unaryOp, x, o []T) {
	switch op {
	case opRelu:
		for i, v := range x {
			o[i] = max(v, 0)
		}
	case opNeg:
		for i, v := range x {
			o[i] = -v
		}
	case opAbs:
		for i, v := range x {
			o[i] = T(math.Abs(float64(v)))
		}
	case opSigmoid:
		for i, v := range x {
			o[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	case opTanh:
		for i, v := range x {
			o[i] = T(math.Tanh(float64(v)))
		}
	case opExp:
		for i, v := range x {
			o[i] = T(math.Exp(float64(v)))
		}
	case opLog:
		for i, v := range x {
			o[i] = T(math.Log(float64(v)))
		}
	case opSqrt:
		for i, v := range x {
			o[i] = T(math.Sqrt(float64(v)))
		}
	}
}

func unaryInt[T int32 | int64](op unaryOp, x, o []T) {
	for i, v := range x {
		switch op {
		case opRelu:
			o[i] = max(v, 0)
		case opNeg:
			o[i] = -v
		case opAbs:
			if v < 0 {
				v = -v
			}
			o[i] = v
		}
	}
}

func unary(op unaryOp) builder {
	intOK := op == opRelu || op == opNeg || op == opAbs
	return func(attrs, int64) (kernel, error) {
		return func(s *Session, n *node, in []*Tensor) error {
			x, err := oneInput(in)
			if err != nil {
				return err
			}
			if !(x.Type == Float32 || x.Type == Float64 || intOK && isInt(x.Type)) {
				return fmt.Errorf("unsupported input type %s", x.Type)
			}
			o := s.out(n.outputs[0], x.Type, x.Shape)
			switch x.Type {
			case Float32:
				unaryFloat(op, x.Float32, o.Float32)
			case Float64:
				unaryFloat(op, x.Float64, o.Float64)
			case Int32:
				unaryInt(op, x.Int32, o.Int32)
			case Int64:
				unaryInt(op, x.Int64, o.Int64)
			}
			return nil
		}, nil
	}
}

func buildCast(a attrs, _ int64) (kernel, error) {
	if !a.has("to") {
		return nil, errors.New(`missing attribute "to"`)
	}
	to := DataType(a.int("to", 0))
	if !to.supported() {
		return nil, fmt.Errorf("unsupported target type %s", to)
	}
	return func(s *Session, n *node, in []*Tensor) error {
		x, err := oneInput(in)
		if err != nil {
			return err
		}
		if x.Type == to {
			s.alias(n.outputs[0], x, x.Shape)
			return nil
		}
		o := s.out(n.outputs[0], to, x.Shape)
		switch x.Type {
		case Float32:
			castFrom(x.Float32, o)
		case Float64:
			castFrom(x.Float64, o)
		case Int32:
			castFrom(x.Int32, o)
		case Int64:
			castFrom(x.Int64, o)
		case Bool:
			switch to {
			case Float32:
				fromBool(x.Bool, o.Float32)
			case Float64:
				fromBool(x.Bool, o.Float64)
			case Int32:
				fromBool(x.Bool, o.Int32)
			case Int64:
				fromBool(x.Bool, o.Int64)
			}
		}
		return nil
	}, nil
}

func castFrom[S numeric](x []S, o *Tensor) {
	switch o.Type {
	case Float32:
		convert(x, o.Float32)
	case Float64:
		convert(x, o.Float64)
	case Int32:
		convert(x, o.Int32)
	case Int64:
		convert(x, o.Int64)
	case Bool:
		for i, v := range x {
			o.Bool[i] = v != 0
		}
	}
}

func convert[S, D numeric](x []S, o []D) {
	for i, v := range x {
		o[i] = D(v)
	}
}

func fromBool[D numeric](x []bool, o []D) {
	for i, v := range x {
		if v {
			o[i] = 1
		} else {
			o[i] = 0
		}
	}
}
