// Package split plans a seeded, stratified train / validation / test split.
//
// The plan is made from the class of every row (one byte a row, so memory
// stays small for millions of rows) and answers, for each row in input
// order, how many copies go to each output. The stage streams the dataset a
// second time and writes rows in input order, so the same input and seed
// always give byte-identical outputs.
//
// Rules, per class c with n_c rows:
//   - rows are ranked by a seeded shuffle (PCG, one shuffle per class in
//     class order);
//   - the first round(train*n_c) ranks go to train, the next
//     round(validation*n_c) to validation, the rest to test;
//   - with fixed sizes (Config.TestRows, Config.ValidationRows) each set
//     takes every class's share of its size, rounded by the largest
//     remainder, and train gets the rest of each class;
//   - one class (k = 1, e.g. unlabeled data) is a plain seeded random split;
//   - validation-balanced keeps, of every class, the m lowest-ranked
//     validation rows, where m is the smallest class's validation count;
//   - train balancing "down" keeps the m lowest-ranked training rows per
//     class (m = smallest class); "up" repeats rows of smaller classes until
//     each has M rows (M = largest class): every row floor(M/n) times, and
//     the M mod n lowest-ranked rows once more.
package split
