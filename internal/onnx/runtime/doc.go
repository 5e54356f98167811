// Package runtime is a small pure-Go ONNX executor (no cgo), the engine
// behind tweetflow's model server.
//
// Load parses any ONNX model whose graph uses the supported operators of the
// default domain on float32, float64, int32, int64 and bool tensors:
//
//	Abs Add Cast Concat Constant Div Equal Exp Flatten Gather Gemm Identity
//	Log LogSoftmax MatMul Max Min Mul Neg Not ReduceMax ReduceMean ReduceMin
//	ReduceSum Relu Reshape Shape Sigmoid Softmax Sqrt Squeeze Sub Tanh
//	Transpose Unsqueeze
//
// (SupportedOps returns the list). It sorts the nodes topologically, checks
// that every operator is supported (naming the operator and node
// otherwise), resolves value names to slots and folds nodes whose inputs are
// all constant. It also fuses two patterns of tweetflow's classifier:
// Gather of a constant float32 table followed by ReduceSum over the
// sequence axis becomes one embedding-bag kernel that never materialises
// the [batch, seq, dim] gather, and the token count of a mean pooling
// (ReduceSum(Cast(Not(Equal(ids, pad))))) becomes one counting kernel. Both
// give bit-identical results. The embedding bag adds whole rows with AVX2
// on amd64 (a portable Go loop elsewhere, or with the purego build tag),
// prefetching the rows it will add next, and a table of 8 MiB or more is
// copied to 2 MiB-aligned memory advised to use transparent huge pages on
// Linux, since random row gathers otherwise miss the TLB on nearly every
// row. The Model is immutable and safe for concurrent use.
//
// Model.Run is the convenient entry point: it borrows a Session from an
// internal pool and returns freshly allocated outputs. A Session owns scratch
// buffers that it reuses from call to call, so Session.Run allocates nothing
// in the steady state; its outputs are views that stay valid until the next
// Run on that Session, and a Session must not be used by two goroutines at
// once.
//
// Semantics follow the ONNX operator specification for the opset the model
// imports (e.g. ReduceSum takes axes as an attribute before opset 13 and as
// an input from 13 on; Softmax before 13 works on the input coerced to 2-D).
// Arithmetic is done in the tensor's own type; float32 sums accumulate in
// float32 in index order, so results match ONNX Runtime to about 1e-7
// relative error, not bit for bit.
package runtime
