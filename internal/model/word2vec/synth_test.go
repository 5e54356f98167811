package word2vec

import (
	"fmt"
	"math/rand/v2"
)

// plantedCorpus generates sentences from a small grammar with planted
// structure: there are `groups` topics, each with 5 member words
// ("m<g>_<i>") and 5 context words ("c<g>_<i>"). A sentence of topic g has
// 2 members and 3 contexts of g plus 1 filler shared by all topics, in
// random order. Members of a topic therefore share their contexts and
// nothing else, so their nearest neighbours must be in the same topic.
func plantedCorpus(groups, sentences int, seed uint64) [][]string {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([][]string, sentences)
	for s := range out {
		g := r.IntN(groups)
		sent := []string{
			fmt.Sprintf("m%d_%d", g, r.IntN(5)),
			fmt.Sprintf("m%d_%d", g, r.IntN(5)),
			fmt.Sprintf("c%d_%d", g, r.IntN(5)),
			fmt.Sprintf("c%d_%d", g, r.IntN(5)),
			fmt.Sprintf("c%d_%d", g, r.IntN(5)),
			fmt.Sprintf("f%d", r.IntN(20)),
		}
		r.Shuffle(len(sent), func(i, j int) { sent[i], sent[j] = sent[j], sent[i] })
		out[s] = sent
	}
	return out
}

// topicOf returns the topic number of a planted member or context word,
// or -1 for fillers.
func topicOf(w string) int {
	var g, i int
	if _, err := fmt.Sscanf(w, "m%d_%d", &g, &i); err == nil {
		return g
	}
	if _, err := fmt.Sscanf(w, "c%d_%d", &g, &i); err == nil {
		return g
	}
	return -1
}
