// Package servingtest makes model folders of the shape export-onnx writes
// (model.onnx, featurizer.json, vocab.txt, metadata.json) for the tests and
// benchmarks of the model server and the serving image: a random-weight
// model over a small vocabulary (Random) or a quickly trained one
// (Trained), each with its pure-Go reference predictions.
package servingtest
