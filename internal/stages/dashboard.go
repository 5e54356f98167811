package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
)

// Dashboard is the live dashboard of the stream scorer's PostgreSQL
// tables. Like annotate it is a server, not a pipeline step.
var Dashboard = c.Contract{
	Name:    "dashboard",
	Summary: "Serve a live dashboard of the scores tables: counts per time bucket, latest tweets, score drift against the test split, top URLs and hashtags",
	Description: "Reads the scores tables score writes in PostgreSQL (read-only) and serves one page on --addr until stopped (SIGTERM/SIGINT): " +
		"rows per time bucket by label with the rate of the chosen label (stacked bars, inline SVG), the latest tweets (newest first, links clickable, " +
		"label, score, model version), the histogram of the chosen label's probability against the model's test split (rebuilt from the ROC curves of " +
		"evaluate-gate's metrics.json, --metrics), the drift of that distribution (PSI and Kolmogorov-Smirnov, each with its threshold), the top URLs " +
		"and hashtags of the label, the active model version (of the newest scored row) with the gate's metrics and thresholds, and the rows of " +
		"<table>_dead_letters when that table exists. The label is chosen on the page (?label=); it defaults to --label, then the model's positive " +
		"label. The page refreshes itself every --refresh; everything it shows is in the binary (no CDN). /healthz is liveness, /readyz pings the database.",
	Params: []c.Param{
		{Name: "addr", Default: ":8080", Description: "Listen address of the dashboard."},
		{Name: "postgres-dsn", Setting: settings.PostgresDSN, Secret: true, Description: "PostgreSQL connection string (postgres://user:pass@host/db) of the scores tables; empty uses DATABASE_URL. Prefer the env var: flags show in process lists."},
		{Name: "table", Type: c.Strings, Default: "tweet_scores", Description: "Scores table(s) written by score (table or schema.table; several are read together). Their dead letters are read from <table>_dead_letters when it exists."},
		{Name: "time-column", Default: "scored_at", Enum: []string{"scored_at", "created_at"}, Description: "Time of the buckets and of the latest tweets: when a row was scored, or the tweet's creation time (rows without one are left out)."},
		{Name: "bucket", Type: c.Duration, Default: "1h", Description: "Width of the time buckets (whole seconds)."},
		{Name: "buckets", Type: c.Int, Default: "24", Min: c.F(1), Max: c.F(1000), Description: "Number of buckets shown, ending with the newest row's; they are the window of the histogram, drift and top lists."},
		{Name: "label", Description: "Label shown by default (its rate, probability histogram, drift and top lists); empty takes the model's positive label, else its first label."},
		{Name: "latest", Type: c.Int, Default: "25", Min: c.F(0), Max: c.F(1000), Description: "Latest tweets listed."},
		{Name: "sample", Type: c.Int, Default: "50000", Min: c.F(1), Description: "Most rows of the window (the newest) read for the histogram, the drift statistics and the top lists on each refresh."},
		{Name: "top", Type: c.Int, Default: "10", Min: c.F(1), Max: c.F(100), Description: "Length of the top URL and hashtag lists."},
		{Name: "bins", Type: c.Int, Default: "10", Min: c.F(2), Max: c.F(100), Description: "Histogram bins over probabilities 0-1 (also the bins of PSI)."},
		{Name: "psi-threshold", Type: c.Float, Default: "0.2", Min: c.F(0), Description: "Population stability index above which the score distribution is flagged as drifted (0.1-0.25 is the usual moderate-shift band)."},
		{Name: "ks-threshold", Type: c.Float, Default: "0.1", Min: c.F(0), Max: c.F(1), Description: "Kolmogorov-Smirnov distance above which the score distribution is flagged as drifted."},
		{Name: "refresh", Type: c.Duration, Default: "10s", Min: c.F(0), Description: "Live refresh period of the page; 0 turns it off."},
		{Name: "query-timeout", Type: c.Duration, Default: "30s", Description: "Longest time the queries of one page may take."},
	},
	Inputs: []c.Artifact{
		{Name: "metrics", Kind: c.Files, Optional: true, From: "evaluate-gate/metrics", Description: "evaluate-gate's metrics folder (metrics.json; its run summary gives the gate thresholds): the test-split reference and the gate metrics"},
		{Name: "model", Kind: c.Files, Optional: true, From: "export-onnx/onnx", Description: "the exported model folder (export-onnx output) the scorer runs: its metadata.json gives the reference model's version and labels"},
	},
	NoCache: true, // a server reading a database that changes
}
