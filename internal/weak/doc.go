// Package weak builds training labels from unlabeled tweets by weak
// supervision: labeling functions (LFs) vote a label or abstain on each
// tweet, a label model combines their votes into per-class probabilities,
// and the LF analysis table (Snorkel's lf_summary) shows how each LF covers,
// overlaps, conflicts and, against golden hand labels, how accurate it is.
//
// Why: hand-labelling thousands of tweets is slow; a data scientist writes a
// few dozen rules instead (keywords, regexes, URL domains, emoticons,
// lexicon scores, "word A without word B", retweet/length conditions, or a
// previously exported model), in a YAML rules file edited without compiling
// Go (ParseRules). Go code can implement the LF interface directly.
//
// The pieces:
//
//   - LF and Input: one labeling function and what it sees (raw text, clean
//     text, URLs). Votes are class indexes into the rules' label list, or
//     Abstain.
//   - ParseRules: the YAML rules file (strict: unknown fields, empty rules
//     and bad values are errors naming the file, the rule and the field).
//   - Apply: the vote matrix of LFs over tweets.
//   - MajorityVote and FitDawidSkene: the label models. Majority vote counts
//     votes per class; a tie between the top classes abstains (the row is
//     dropped like a row no LF covers). Dawid-Skene EM learns per LF either
//     a class-conditional confusion matrix (abstaining included as an
//     outcome) or one symmetric accuracy, without labels, from the majority
//     vote as a starting point; it is deterministic (seeded random restarts
//     only when asked for). With LFs that each vote one label only (the
//     usual rules file), prefer the confusion model: the symmetric one
//     ignores abstentions, so it cannot tell a rule that fires on one class
//     from one that is right, and on the AI-tweet dev set it collapsed to
//     a single class.
//   - Summarize: the LF analysis table, printed as text, JSON or HTML.
//   - Evaluate: macro recall, per-class precision/recall/F1 and the
//     confusion matrix of predictions against golden labels.
//   - RuleFeatures (ParseRuleFeatures): the rules as features of the
//     classifier trained on their labels (train --rule-features), the
//     featurize.RuleVoter that the model carries to serving. Measured on
//     the AI-tweet dev set, a student that sees which rules fired learns to
//     copy them where they are right and to settle their conflicts, where a
//     student of words alone could not copy "keyword without veto word"
//     rules (examples/labeling/README.md).
//
// All math is pure: no I/O, no globals, no clocks.
package weak
