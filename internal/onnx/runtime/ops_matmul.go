package runtime

import (
	"errors"
	"fmt"
)

// matmul computes o[M,N] = a[M,K] @ b[K,N], accumulating over k in order
// (four k per pass over the output row, without changing that order).
func matmul[T float](a, b, o []T, M, K, N int) {
	for i := range M {
		orow := o[i*N : (i+1)*N]
		clear(orow)
		arow := a[i*K : (i+1)*K]
		k := 0
		for ; k+4 <= K; k += 4 {
			a0, a1, a2, a3 := arow[k], arow[k+1], arow[k+2], arow[k+3]
			b0 := b[k*N : (k+1)*N][:len(orow)]
			b1 := b[(k+1)*N : (k+2)*N][:len(orow)]
			b2 := b[(k+2)*N : (k+3)*N][:len(orow)]
			b3 := b[(k+3)*N : (k+4)*N][:len(orow)]
			for j := range orow {
				orow[j] = orow[j] + a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; k < K; k++ {
			av := arow[k]
			brow := b[k*N : (k+1)*N][:len(orow)]
			for j := range orow {
				orow[j] += av * brow[j]
			}
		}
	}
}

func buildMatMul(attrs, int64) (kernel, error) {
	return func(s *Session, n *node, in []*Tensor) error {
		if len(in) != 2 || in[0] == nil || in[1] == nil {
			return fmt.Errorf("want 2 inputs, have %d", len(in))
		}
		a, b := in[0], in[1]
		if a.Type != b.Type {
			return fmt.Errorf("input types %s and %s differ", a.Type, b.Type)
		}
		if a.Type != Float32 && a.Type != Float64 {
			return fmt.Errorf("unsupported input type %s", a.Type)
		}
		ra, rb := len(a.Shape), len(b.Shape)
		if ra == 0 || rb == 0 {
			return errors.New("MatMul of a scalar")
		}
		// Promote 1-D operands as numpy does.
		ash, bsh := a.Shape, b.Shape
		if ra == 1 {
			ash = []int{1, a.Shape[0]}
		}
		if rb == 1 {
			bsh = []int{b.Shape[0], 1}
		}
		M, K := ash[len(ash)-2], ash[len(ash)-1]
		K2, N := bsh[len(bsh)-2], bsh[len(bsh)-1]
		if K != K2 {
			return fmt.Errorf("shapes %v and %v do not match for MatMul", a.Shape, b.Shape)
		}
		abatch, bbatch := ash[:len(ash)-2], bsh[:len(bsh)-2]

		var p *plan
		var shape []int
		if len(bbatch) == 0 {
			// b is a matrix: fold a's batch dims into M.
			shape = append(s.shp[:0], abatch...)
			M *= numel(abatch)
		} else {
			var err error
			if p, err = s.broadcast(abatch, bbatch); err != nil {
				return fmt.Errorf("broadcasting MatMul batch dims: %w", err)
			}
			shape = append(s.shp[:0], p.shape...)
		}
		if ra > 1 {
			shape = append(shape, ash[len(ash)-2])
		}
		if rb > 1 {
			shape = append(shape, N)
		}
		s.shp = shape
		o := s.out(n.outputs[0], a.Type, shape)
		switch a.Type {
		case Float32:
			batchedMatmul(p, a.Float32, b.Float32, o.Float32, M, K, N)
		case Float64:
			batchedMatmul(p, a.Float64, b.Float64, o.Float64, M, K, N)
		}
		return nil
	}, nil
}

func batchedMatmul[T float](p *plan, a, b, o []T, M, K, N int) {
	if p == nil {
		matmul(a, b, o, M, K, N)
		return
	}
	for _, sg := range p.segs {
		for k := range sg.n {
			ai, bi, oi := sg.a+k*p.as, sg.b+k*p.bs, sg.o+k
			matmul(a[ai*M*K:(ai+1)*M*K], b[bi*K*N:(bi+1)*K*N], o[oi*M*N:(oi+1)*M*N], M, K, N)
		}
	}
}

func buildGemm(a attrs, _ int64) (kernel, error) {
	alpha, beta := a.float("alpha", 1), a.float("beta", 1)
	transA, transB := a.int("transA", 0) != 0, a.int("transB", 0) != 0
	return func(s *Session, n *node, in []*Tensor) error {
		if len(in) < 2 || in[0] == nil || in[1] == nil {
			return fmt.Errorf("want 2 or 3 inputs, have %d", len(in))
		}
		x, y := in[0], in[1]
		var c *Tensor
		if len(in) > 2 {
			c = in[2]
		}
		if x.Type != y.Type || c != nil && c.Type != x.Type {
			return errors.New("input types differ")
		}
		if len(x.Shape) != 2 || len(y.Shape) != 2 {
			return fmt.Errorf("Gemm needs 2-D inputs, have %v and %v", x.Shape, y.Shape)
		}
		M, K := x.Shape[0], x.Shape[1]
		if transA {
			M, K = K, M
		}
		K2, N := y.Shape[0], y.Shape[1]
		if transB {
			K2, N = N, K2
		}
		if K != K2 {
			return fmt.Errorf("shapes %v and %v do not match for Gemm (transA=%v, transB=%v)", x.Shape, y.Shape, transA, transB)
		}
		var cp *plan
		if c != nil {
			var err error
			cp, err = s.broadcast(c.Shape, []int{M, N})
			if err != nil {
				return fmt.Errorf("broadcasting C: %w", err)
			}
			if len(cp.shape) != 2 || cp.shape[0] != M || cp.shape[1] != N {
				return fmt.Errorf("C shape %v does not broadcast to [%d %d]", c.Shape, M, N)
			}
		}
		shape := append(s.shp[:0], M, N)
		s.shp = shape
		o := s.out(n.outputs[0], x.Type, shape)
		switch x.Type {
		case Float32:
			var cv []float32
			if c != nil {
				cv = c.Float32
			}
			gemm(x.Float32, y.Float32, cv, cp, o.Float32, M, K, N, alpha, beta, transA, transB)
		case Float64:
			var cv []float64
			if c != nil {
				cv = c.Float64
			}
			gemm(x.Float64, y.Float64, cv, cp, o.Float64, M, K, N, float64(alpha), float64(beta), transA, transB)
		default:
			return fmt.Errorf("unsupported input type %s", x.Type)
		}
		return nil
	}, nil
}

func gemm[T float](a, b, c []T, cp *plan, o []T, M, K, N int, alpha, beta T, transA, transB bool) {
	switch {
	case !transA && !transB:
		matmul(a, b, o, M, K, N)
	case !transA && transB:
		for i := range M {
			arow := a[i*K : (i+1)*K]
			for j := range N {
				brow := b[j*K : (j+1)*K]
				var sum T
				for k, av := range arow {
					sum += av * brow[k]
				}
				o[i*N+j] = sum
			}
		}
	default:
		for i := range M {
			for j := range N {
				var sum T
				for k := range K {
					var av, bv T
					if transA {
						av = a[k*M+i]
					} else {
						av = a[i*K+k]
					}
					if transB {
						bv = b[j*K+k]
					} else {
						bv = b[k*N+j]
					}
					sum += av * bv
				}
				o[i*N+j] = sum
			}
		}
	}
	if alpha != 1 {
		for i := range o {
			o[i] *= alpha
		}
	}
	if c == nil || beta == 0 {
		return
	}
	// o += beta * C, with C broadcast to [M, N] (plan: a = C, b = o).
	for _, sg := range cp.segs {
		for k := range sg.n {
			o[sg.o+k] += beta * c[sg.a+k*cp.as]
		}
	}
}

var builders = map[string]builder{
	"Abs":        unary(opAbs),
	"Add":        binaryArith(opAdd),
	"Cast":       buildCast,
	"Concat":     buildConcat,
	"Div":        binaryArith(opDiv),
	"Equal":      buildEqual,
	"Exp":        unary(opExp),
	"Flatten":    buildFlatten,
	"Gather":     buildGather,
	"Gemm":       buildGemm,
	"Identity":   buildIdentity,
	"Log":        unary(opLog),
	"LogSoftmax": buildSoftmax(true),
	"MatMul":     buildMatMul,
	"Max":        variadic(opMax),
	"Min":        variadic(opMin),
	"Mul":        binaryArith(opMul),
	"Neg":        unary(opNeg),
	"Not":        buildNot,
	"ReduceMax":  buildReduce(opRMax),
	"ReduceMean": buildReduce(opMean),
	"ReduceMin":  buildReduce(opRMin),
	"ReduceSum":  buildReduce(opSum),
	"Relu":       unary(opRelu),
	"Reshape":    buildReshape,
	"Shape":      buildShape,
	"Sigmoid":    unary(opSigmoid),
	"Softmax":    buildSoftmax(false),
	"Sqrt":       unary(opSqrt),
	"Squeeze":    buildSqueeze,
	"Sub":        binaryArith(opSub),
	"Tanh":       unary(opTanh),
	"Transpose":  buildTranspose,
	"Unsqueeze":  buildUnsqueeze,
}
