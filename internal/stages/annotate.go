package stages

import (
	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
)

// Annotate is the web annotator: it serves one tweet at a time for golden
// labels, stores every answer in PostgreSQL and exports the golden set as a
// dataset. It is not a pipeline step (it runs until stopped); its export
// mode feeds evaluate-gate --data.
var Annotate = c.Contract{
	Name:    "annotate",
	Summary: "Serve a web annotator for golden labels (answers in PostgreSQL) and export them as a dataset",
	Description: "--mode serve (the default) loads the tasks (a dataset given as --tweets and/or the id,text rows of --source-table; " +
		"tweets already stored keep their answers), predicts them with --model when given, and serves the annotator on --addr until stopped " +
		"(SIGTERM/SIGINT: it finishes the requests in flight, writes no output and exits 0). One tweet at a time with its weak label and the model's " +
		"prediction; keys 1..K pick the --labels, s skips, u/Backspace undoes, ? shows help; /recent lists and changes decisions, /stats shows " +
		"progress and agreement (Cohen's kappa, Krippendorff's alpha). Every answer is a committed transaction before the next tweet is shown. " +
		"--mode export (or `annotate export ...`) writes the golden set: per task the current answer of each annotator, skips not voting, " +
		"the majority label; ties are excluded and counted.",
	Params: []c.Param{
		{Name: "mode", Default: "serve", Enum: []string{"serve", "export"}, Description: "serve the annotator, or export the golden set to --out-golden."},
		{Name: "labels", Type: c.Strings, Description: "The label set, in number-key order (1 = first), e.g. AI,OTHER; 2 to 9 labels. Required to serve."},
		{Name: "addr", Default: ":8080", Description: "Listen address of the web annotator."},
		{Name: "postgres-dsn", Setting: settings.PostgresDSN, Secret: true, Description: "PostgreSQL connection string (postgres://user:pass@host/db) of the annotation store; empty uses DATABASE_URL. Prefer the env var: flags show in process lists."},
		{Name: "overlap", Type: c.Float, Default: "0", Min: c.F(0), Max: c.F(1), Description: "Share of tasks shown to two annotators (for agreement), chosen by a seeded hash of the tweet id."},
		{Name: "seed", Type: c.Int, Default: "1", Description: "Seed of the overlap choice."},
		{Name: "assignment-ttl", Type: c.Duration, Default: "30m", Min: c.F(0), Description: "How long a shown, unanswered tweet stays reserved for its annotator before it is given to someone else."},
		{Name: "source-table", Description: "Also load tasks from this PostgreSQL table (table or schema.table, in the same database) with columns id and text."},
		{Name: "max-tasks", Type: c.Int, Default: "0", Min: c.F(0), Description: "Load at most this many new rows from the inputs (0: all)."},
		shardRows,
	},
	Inputs: []c.Artifact{
		{Name: "tweets", Kind: c.Dataset, Optional: true, Description: "the tweets to label (a dataset; its label column is shown as the weak label)"},
		{Name: "model", Kind: c.Files, Optional: true, Description: "an exported model folder (export-onnx output) whose prediction is shown"},
	},
	Outputs: []c.Artifact{{Name: "golden", Kind: c.Dataset, Description: "the golden set (export mode): id, text, clean_text, urls and the final label"}},
	NoCache: true, // reads a database that changes
}
