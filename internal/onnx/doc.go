// Package onnx exports tweetflow's bag-of-embeddings classifier as an ONNX
// model and holds the pure-Go reference forward pass that defines what the
// exported graph must compute.
//
// The model contract shared by the train, export-onnx and serve components:
//
//   - input "token_ids": int64 [batch, seq] (dynamic dims "batch" and "seq");
//     id 0 is padding. Word ids and hashed n-gram ids index one table.
//   - embedding table E: float32 [rows, dim], row 0 is all zeros.
//   - pooled[b] = sum_j E[ids[b,j]] / max(#nonzero ids in row b, 1)
//   - optional hidden layer h = relu(pooled @ W1 + b1), W1 [dim, hidden]
//   - logits = h @ W2 + b2 (pooled @ W2 + b2 without a hidden layer)
//   - output "probabilities": float32 [batch, classes] = softmax(logits, -1)
//
// Export writes the graph
//
//	Gather(E, token_ids) -> ReduceSum(axis 1)                    -> sum
//	Cast(Not(Equal(token_ids, 0)), float) -> ReduceSum(axis 1, keepdims)
//	  -> Max(., 1)                                               -> count
//	Div(sum, count) -> [MatMul, Add, Relu] -> MatMul, Add -> Softmax(-1)
//
// at IR version 8 and opset 17 (the newest pair that both Debian's onnx 1.12
// checker and ONNX Runtime 1.30 accept), with every weight stored as a
// little-endian raw_data initializer. The protobuf types come from the
// generated package onnxpb; the pure-Go executor is package runtime, and
// package ortcheck proves both against ONNX Runtime.
package onnx
