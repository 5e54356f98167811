package annotate

import "slices"

// Vote is the current answer of one annotator on one task. Label is ""
// for a skip.
type Vote struct {
	TaskID    int64
	Annotator string
	Label     string
}

// Decision is the golden label of one task.
type Decision struct {
	TaskID int64
	Label  string
	Votes  int // label votes cast on the task
	Agree  int // votes for Label
}

// Resolution is the outcome of Resolve.
type Resolution struct {
	Decisions []Decision // one per task with a majority label, by task id
	Ties      []int64    // tasks whose top labels tie: excluded
	Skipped   []int64    // tasks with answers that are all skips: excluded
}

// Resolve applies the golden-label rules (see the package doc): votes must
// be current answers (at most one per task and annotator; a later vote of
// the same annotator on the same task replaces an earlier one); skips do not
// vote; the label with the most votes wins; ties are excluded and listed.
func Resolve(votes []Vote) Resolution {
	type key struct {
		task int64
		who  string
	}
	latest := map[key]string{}
	var tasks []int64
	seen := map[int64]bool{}
	for _, v := range votes {
		latest[key{v.TaskID, v.Annotator}] = v.Label
		if !seen[v.TaskID] {
			seen[v.TaskID] = true
			tasks = append(tasks, v.TaskID)
		}
	}
	counts := map[int64]map[string]int{}
	for k, l := range latest {
		if counts[k.task] == nil {
			counts[k.task] = map[string]int{}
		}
		if l != "" {
			counts[k.task][l]++
		}
	}
	slices.Sort(tasks)
	var r Resolution
	for _, id := range tasks {
		c := counts[id]
		best, bestN, total, tie := "", 0, 0, false
		for l, n := range c {
			total += n
			switch {
			case n > bestN:
				best, bestN, tie = l, n, false
			case n == bestN:
				tie = true
			}
		}
		switch {
		case total == 0:
			r.Skipped = append(r.Skipped, id)
		case tie:
			r.Ties = append(r.Ties, id)
		default:
			r.Decisions = append(r.Decisions, Decision{TaskID: id, Label: best, Votes: total, Agree: bestN})
		}
	}
	return r
}
