// Command mkmodel trains the Go counterpart of the Flask peer's model on
// the same SemEval files (hack/flask-peer/app.py TRAIN_FILES) and writes a
// servable model folder (model.onnx, featurizer.json, vocab.txt,
// metadata.json) for hack/bench-serve.sh:
//
//	go run ./hack/flask-peer/mkmodel --data /work/shared/data/semeval2017-task4a --out /tmp/model
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

var trainFiles = []string{
	"twitter-2013train-A.txt", "twitter-2013dev-A.txt", "twitter-2013test-A.txt",
	"twitter-2014test-A.txt", "twitter-2015train-A.txt", "twitter-2015test-A.txt",
	"twitter-2016train-A.txt", "twitter-2016dev-A.txt", "twitter-2016devtest-A.txt",
}

var esc = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)

func main() {
	data := flag.String("data", "/work/shared/data/semeval2017-task4a", "SemEval task 4A folder")
	out := flag.String("out", "model", "output model folder")
	version := flag.String("version", "bench-v1", "model version")
	dim := flag.Int("dim", 50, "embedding dimension")
	flag.Parse()
	if err := run(*data, *out, *version, *dim); err != nil {
		fmt.Fprintln(os.Stderr, "error: mkmodel:", err)
		os.Exit(1)
	}
}

func run(data, out, version string, dim int) error {
	index := map[string]int{}
	for i, l := range servingtest.Labels {
		index[l] = i
	}
	var texts []string
	var labels []int
	for _, name := range trainFiles {
		f, err := os.Open(filepath.Join(data, name))
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			parts := strings.Split(sc.Text(), "\t")
			if len(parts) < 3 {
				continue
			}
			l, ok := index[parts[1]]
			if !ok {
				continue
			}
			t := esc.ReplaceAllStringFunc(parts[2], func(m string) string {
				n, _ := strconv.ParseUint(m[2:], 16, 32)
				return string(rune(n))
			})
			if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
				t = t[1 : len(t)-1]
			}
			texts = append(texts, t)
			labels = append(labels, l)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	start := time.Now()
	m, err := servingtest.Trained(context.Background(), texts, labels, servingtest.Options{
		Version: version, Dim: dim, Buckets: 200000, Seed: 1, CreatedAt: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := m.WriteDir(out); err != nil {
		return err
	}
	fmt.Printf("trained on %d tweets in %.1fs -> %s\n", len(texts), time.Since(start).Seconds(), out)
	return nil
}
