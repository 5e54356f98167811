// Package metrics computes the evaluation metrics of a tweetflow classifier
// from true labels and predicted class probabilities: accuracy, per-class and
// macro precision/recall/F1, the confusion matrix, ROC-AUC and PR-AUC with
// their curves. It is pure math on slices and deterministic.
//
// # Inputs
//
// Compute takes yTrue []int (class indices 0..C-1), proba [][]float64 (one
// row of C scores per sample) and the C label names; ComputeFlat takes the
// probabilities row-major in one []float64 or []float32 of length n*C (as
// classifier.PredictDataset returns them). The predicted
// class is the argmax of a row (lowest index on ties). Scores need not sum
// to one but must be finite.
//
// # Definitions
//
//   - accuracy: fraction of samples whose predicted class is the true one.
//   - precision, recall, f1 per class: one-vs-rest from the confusion matrix;
//     f1 = 2PR/(P+R), 0 when P+R = 0.
//   - macro_*: unweighted mean over classes of the per-class values that are
//     defined (see Undefined values).
//   - roc_auc: area under the ROC curve by the trapezoid rule over every
//     distinct threshold. Tied scores are one threshold and give a diagonal
//     segment, so the area equals the Mann-Whitney U statistic / (P*N) with
//     ties counted 1/2 (all-equal scores give 0.5, perfect 1, inverted 0).
//   - pr_auc: average precision, scikit-learn's definition:
//     AP = sum_n (R_n - R_{n-1}) * P_n over distinct thresholds in
//     decreasing order, R_0 = 0. It is a step-wise sum, not a trapezoid, so
//     it does not reward linear interpolation between points.
//   - Binary problems (C = 2): roc_auc and pr_auc are those of the positive
//     class (WithPositive; default the label named "positive",
//     case-insensitive, else the last label), scored by its probability.
//     auc_average is "binary" and positive_label names the class.
//   - More classes: roc_auc and pr_auc are the macro one-vs-rest means of the
//     per-class values (class c scored by proba[:, c]); auc_average is
//     "macro_ovr" (scikit-learn's roc_auc_score(multi_class="ovr",
//     average="macro") and average_precision_score(average="macro") on the
//     binarised labels).
//
// # Undefined values
//
// Undefined values are NaN in Go (type Float; Float.Defined tells) and null
// in JSON, which has no NaN:
//
//   - A class absent from yTrue has undefined recall, f1, roc_auc and pr_auc.
//     Its precision is 0 if the model predicted it, else undefined.
//   - A class present but never predicted has precision 0 (scikit-learn's
//     zero_division=0), so a model that ignores a class is not flattered.
//   - roc_auc of a class is also undefined when every sample is of that
//     class (there are no negatives); its pr_auc is then 1.
//   - Macro averages skip undefined per-class values and are undefined only
//     if no class is defined. Each undefined case adds a line to warnings.
//
// With every class present, the results equal scikit-learn's (checked by the
// tests against /usr/bin/python3 to 1e-9).
//
// # metrics.json keys
//
// Report marshals to metrics.json with these stable keys; scripts may rely
// on them. Numbers are plain JSON numbers, undefined ones null.
//
//	labels            [string]   class names; index = class id
//	n                 int        number of samples
//	accuracy          number
//	macro_recall      number|null
//	macro_precision   number|null
//	macro_f1          number|null
//	roc_auc           number|null  binary: positive class; else macro OvR
//	pr_auc            number|null  average precision, same averaging
//	auc_average       string     "binary" or "macro_ovr"
//	positive_label    string     binary only (absent otherwise)
//	per_class         {label: {precision, recall, f1, support, roc_auc, pr_auc}}
//	                             support is an int, the others number|null
//	confusion_matrix  [[int]]    rows = true class, columns = predicted class,
//	                             both in labels order
//	curves            {label: {roc: {fpr, tpr, thresholds},
//	                           pr:  {recall, precision, thresholds}}}
//	                             parallel arrays in decreasing threshold
//	                             order; the first point of each curve has
//	                             threshold null (+infinity: nothing predicted
//	                             positive): ROC (0,0), PR (recall 0,
//	                             precision 1). Curves are downsampled to at
//	                             most 500 points (WithMaxCurvePoints) evenly
//	                             along their length; the AUCs are computed on
//	                             the full curves. An undefined curve is absent.
//	warnings          [string]   human-readable notes on undefined values
//	                             (absent when there are none)
//
// Report.WriteJSON writes metrics.json (indented) and ReadReport reads it
// back (null becomes NaN). Report.Metric looks values up by these names
// ("macro_f1", "per_class.negative.recall") for quality gates.
package metrics
