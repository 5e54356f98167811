// Package annotate is tweetflow's web annotator: it collects golden (hand)
// labels for a set of tweets from one or more people and turns them into a
// dataset the pipeline reads as its test or validation set.
//
// Why: weak labels (package label's labeling functions) are cheap but
// noisy; the model and the label model are judged against a small set of
// hand labels. This package makes producing that set fast (one tweet at a
// time, keyboard-first, server-rendered HTML that also works without
// JavaScript) and safe (every answer is one committed PostgreSQL
// transaction before the next task is shown).
//
// # Pieces
//
//   - Task is one tweet to label: id, text, links, the weak label and its
//     confidence, and the current model's prediction when a model is given.
//     TasksFromTweets builds tasks from dataset rows.
//   - Store keeps tasks, assignments and answers in PostgreSQL. Migrate
//     creates the schema idempotently (a version table; each migration runs
//     once, in a transaction). Answers are never updated in place: undo marks
//     an answer 'undone', a change marks it 'superseded' and inserts a new
//     one, so the history is complete. A partial unique index allows one
//     'current' answer per (task, annotator); assignment uses SELECT ... FOR
//     UPDATE SKIP LOCKED so two annotators never get the same single-annotator
//     task, and a reload shows the task already assigned. A shown, unanswered
//     task stays reserved for SetAssignmentTTL (default 30 min), then goes
//     to someone else.
//   - Overlap: a share of tasks (chosen by a seeded hash of the tweet id, so
//     the same share is picked on every start) wants two annotators; the
//     stats page computes agreement on them.
//   - CohenKappa and KrippendorffAlpha (nominal) are pure functions.
//   - Resolve applies the golden-label rules (below); Server is the
//     http.Handler of the web pages.
//
// # Golden-label rules (export)
//
// For each task, the vote of an annotator is their current answer (the
// latest: changes supersede, undo removes). Skips do not vote. The final
// label is the label with the most votes; a task whose top labels tie is
// excluded and counted as a tie; a task without votes is not exported.
// With one annotator per task the final label is simply that annotator's.
//
// # Web pages
//
// GET / shows the next task of the annotator (cookie "annotator", set by
// /login or ?annotator=); POST /answer stores a label or a skip and
// redirects (303) to /, so the next task is only rendered after the commit;
// POST /undo reopens the annotator's latest answer; GET /recent lists the
// annotator's recent decisions with forms to change them; GET /stats shows
// progress per annotator, the label distribution and agreement. Keys: 1..K
// pick the labels in --labels order, s skips, u or Backspace undoes, ?
// toggles the help overlay. Text is HTML-escaped; only http(s) URLs become
// links (rel="noopener noreferrer", target=_blank).
package annotate
