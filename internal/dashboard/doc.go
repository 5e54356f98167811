// Package dashboard is tweetflow's live dashboard of the stream scorer's
// PostgreSQL tables: what the scorer stored, how the model's predictions
// are distributed, and whether they drift from what the model showed on
// its test split.
//
// # Data
//
// Query reads one Snapshot of one or more scores tables (the schema of
// scoring.CreateTableSQL) in a single read-only, repeatable-read
// transaction: the model versions and their rows, the active version (the
// one of the most recently scored row), per time bucket and label the rows
// of the active version, the latest tweets of every version, and a sample
// of the newest rows of the window (the focus label's probability from the
// probabilities column, URLs and hashtags). The dead-letter table of each
// scores table, <table>_dead_letters, is looked up at query time
// (to_regclass) and its rows counted; a missing one counts 0, and a missing
// scores table is reported, not an error. Nothing is written: the
// dashboard needs only SELECT rights.
//
// # Reference and drift
//
// evaluate-gate's metrics.json holds, per label, the one-vs-rest ROC curve
// of the test split: at each threshold t the true- and false-positive
// rates, from which TPR*P + FPR*(n-P) rows scored >= t. ReferenceFromROC
// turns that back into the test split's distribution of the label's
// probability (exact unless the curve was downsampled to
// metrics.DefaultMaxCurvePoints points). The page draws the live histogram
// of the focus label's probability against it, with two drift statistics:
// PSI over the histogram's bins (shares floored at PSIFloor) and the
// two-sample Kolmogorov-Smirnov distance of the weighted samples, each
// flagged above its threshold. The run summary beside the metrics
// (_summary.json) gives the gate thresholds and decision.
//
// # Page
//
// Server renders one HTML page with inline SVG charts (rows per bucket as
// stacked bars with the focus label's rate, and the histogram), tables
// under each chart, the top URLs and hashtags of the focus label, the
// latest tweets with clickable links, and the model card. Templates and
// styles are embedded; the Content-Security-Policy allows nothing from
// outside the server. A small inline script refreshes the page's main
// element every Config.Refresh (a meta refresh without JavaScript).
// /healthz answers while the process runs; /readyz pings the database.
//
// The statistics (Edges, Histogram, Fractions, PSI, KS), the bucketing
// (BucketIndex, Buckets), TopK and Hashtags are pure functions.
package dashboard
