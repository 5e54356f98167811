package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// The S3 test shares one MinIO server (see miniotest).
func TestMain(m *testing.M) { miniotest.Main(m) }

// The rules file can be an s3:// URI, as in a pipeline on the cluster.
func TestLabelRulesFromS3(t *testing.T) {
	srv := miniotest.Start(t)
	st := stagetest.NewS3(t, srv, "root")
	st.WriteTweets(t, "r1", "balance-split", "train", sampleTweets(t))
	data, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	w, err := st.Store.Create(context.Background(), "root/rules/ai.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	uri := "s3://" + srv.Bucket + "/root/rules/ai.yaml"
	res := st.MustRun(t, stages.Label, component.Typed(run), "r1", "--rules", uri)
	if !strings.Contains(res.Stdout, "ai_field_terms") || len(st.Tweets(t, "r1", "label", "tweets")) == 0 {
		t.Fatalf("no labels from the S3 rules:\n%s", res.Stdout)
	}
	r := st.Run(t, stages.Label, component.Typed(run), "r2", "--rules", "s3://"+srv.Bucket+"/root/rules/missing.yaml", "--tweets", st.URI("r1", "balance-split", "train"))
	if r.Code == 0 || !strings.Contains(r.Stderr, "missing.yaml") {
		t.Fatalf("missing rules: exit %d\n%s", r.Code, r.Stderr)
	}
}
