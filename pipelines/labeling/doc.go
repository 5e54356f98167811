// Package labeling declares the tweetflow labeling pipeline: seed 001's loop
// of building a training set from unlabeled tweets with labeling functions
// instead of hand labels.
//
//	ingest -> clean -> holdout -> lf-split -> label + label-dev -> train
//	  -> evaluate-gate -> export-onnx -> build-serving-image   (both only when the gate passed)
//
// holdout (balance-split --labels none) holds out a golden test set and a
// golden dev set of fixed sizes (golden-test-rows, golden-dev-rows): their
// outputs are what the annotate component serves for hand labels. lf-split
// takes the LF development set (lf-dev-rows) out of the rest; label applies
// the rules file (rules, a path or s3:// URI) and the label model to the
// training set, label-dev to the LF development set. train learns from the
// weak labels (weak-labels: soft targets or the argmax above a confidence)
// with label-dev's rows for early stopping. evaluate-gate scores the model
// on the golden parameter when given (a hand-labeled dataset or raw file,
// e.g. annotate export's output), else on the weakly labeled LF development
// set (dsl.ParamOr: one Argo expression chooses), so a run without golden
// labels measures agreement with the label model, not quality.
//
// Its compiled WorkflowTemplate is checked in at generated/workflowtemplate.yaml
// (make generate, or tweetflow compile --pipeline labeling); tests fail when
// it is stale, when Argo's linter rejects it, or when a task's arguments do
// not parse with its component's flags. tweetflow run --pipeline labeling
// runs it on this machine with the demo data (testdata/demo/ai-tweets).
package labeling
