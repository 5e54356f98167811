package dashboard

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestEdges(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []float64
	}{
		{1, []float64{0, 1}},
		{4, []float64{0, .25, .5, .75, 1}},
		{0, []float64{0, 1}},
	} {
		if got := Edges(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("Edges(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	if e := Edges(10); e[10] != 1 || e[3] != 0.3 {
		t.Errorf("Edges(10) = %v", e)
	}
}

func TestHistogram(t *testing.T) {
	edges := []float64{0, .25, .5, .75, 1}
	for _, tc := range []struct {
		name    string
		values  []float64
		weights []float64
		want    []float64
	}{
		{"empty", nil, nil, []float64{0, 0, 0, 0}},
		{"on edges", []float64{0, .25, .5, .75, 1}, nil, []float64{1, 1, 1, 2}},
		{"inside", []float64{.1, .2, .3, .99}, nil, []float64{2, 1, 0, 1}},
		{"outside and NaN dropped", []float64{-0.1, 1.01, math.NaN(), .6}, nil, []float64{0, 0, 1, 0}},
		{"weights", []float64{.1, .6, .6}, []float64{2, 3, .5}, []float64{2, 0, 3.5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Histogram(tc.values, tc.weights, edges); !slices.Equal(got, tc.want) {
				t.Errorf("Histogram = %v, want %v", got, tc.want)
			}
		})
	}
	if got := Histogram([]float64{.5}, nil, []float64{0}); got != nil {
		t.Errorf("one edge: %v, want nil", got)
	}
}

func TestFractions(t *testing.T) {
	if got := Fractions([]float64{1, 3, 0}); !slices.Equal(got, []float64{.25, .75, 0}) {
		t.Errorf("Fractions = %v", got)
	}
	if got := Fractions([]float64{0, 0}); !slices.Equal(got, []float64{0, 0}) {
		t.Errorf("Fractions of zeros = %v", got)
	}
}

func TestPSI(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exp, act []float64
		want     float64
	}{
		{"equal", []float64{.2, .3, .5}, []float64{.2, .3, .5}, 0},
		// (0.3-0.5)ln(0.3/0.5) + (0.7-0.5)ln(0.7/0.5)
		{"shift", []float64{.5, .5}, []float64{.3, .7}, -0.2*math.Log(0.6) + 0.2*math.Log(1.4)},
		// An empty bin is floored at PSIFloor.
		{"empty bin", []float64{.5, .5, 0}, []float64{.5, .4, .1},
			(0.4-0.5)*math.Log(0.4/0.5) + (0.1-PSIFloor)*math.Log(0.1/PSIFloor)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PSI(tc.exp, tc.act)
			if err != nil || !near(got, tc.want, 1e-12) {
				t.Errorf("PSI = %v, %v; want %v", got, err, tc.want)
			}
			// PSI is symmetric.
			if back, _ := PSI(tc.act, tc.exp); !near(back, got, 1e-12) {
				t.Errorf("PSI not symmetric: %v and %v", got, back)
			}
		})
	}
	if _, err := PSI([]float64{1}, []float64{.5, .5}); err == nil {
		t.Error("PSI of different bin counts: no error")
	}
	if _, err := PSI(nil, nil); err == nil {
		t.Error("PSI of no bins: no error")
	}
}

func TestKS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, wa  []float64
		b, wb  []float64
		want   float64
		isNaN  bool
		suffix string
	}{
		{name: "identical", a: []float64{.1, .5, .9}, b: []float64{.9, .1, .5}, want: 0},
		{name: "disjoint", a: []float64{.1, .2}, b: []float64{.8, .9}, want: 1},
		// F_a reaches 1/2 at 2 while F_b is 0.
		{name: "overlap", a: []float64{1, 2, 3, 4}, b: []float64{3, 4, 5, 6}, want: 0.5},
		// Ties move both CDFs together: only whole values count.
		{name: "ties", a: []float64{1, 1, 2}, b: []float64{1, 2, 2}, want: 1.0 / 3},
		// Weights equal repeated values.
		{name: "weights", a: []float64{1, 2}, wa: []float64{2, 1}, b: []float64{1, 2}, wb: []float64{1, 2}, want: 1.0 / 3},
		{name: "zero weight ignored", a: []float64{1, 9}, wa: []float64{1, 0}, b: []float64{1}, want: 0},
		{name: "empty", a: nil, b: []float64{1}, isNaN: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := KS(tc.a, tc.wa, tc.b, tc.wb)
			if tc.isNaN {
				if !math.IsNaN(got) {
					t.Errorf("KS = %v, want NaN", got)
				}
				return
			}
			if !near(got, tc.want, 1e-12) {
				t.Errorf("KS = %v, want %v", got, tc.want)
			}
			if back := KS(tc.b, tc.wb, tc.a, tc.wa); !near(back, got, 1e-12) {
				t.Errorf("KS not symmetric: %v and %v", got, back)
			}
		})
	}
	// Against a brute-force sup over every point of both samples.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		a := make([]float64, 1+r.IntN(40))
		b := make([]float64, 1+r.IntN(40))
		for j := range a {
			a[j] = math.Round(r.Float64()*20) / 20
		}
		for j := range b {
			b[j] = math.Round((r.Float64()*0.8+0.1)*20) / 20
		}
		cdf := func(s []float64, x float64) float64 {
			n := 0
			for _, v := range s {
				if v <= x {
					n++
				}
			}
			return float64(n) / float64(len(s))
		}
		want := 0.0
		for _, x := range append(slices.Clone(a), b...) {
			want = math.Max(want, math.Abs(cdf(a, x)-cdf(b, x)))
		}
		if got := KS(a, nil, b, nil); !near(got, want, 1e-12) {
			t.Fatalf("KS(%v, %v) = %v, brute force %v", a, b, got, want)
		}
	}
}

func TestTopK(t *testing.T) {
	counts := map[string]int{"b": 3, "a": 3, "c": 5, "d": 1}
	want := []Count{{"c", 5}, {"a", 3}, {"b", 3}}
	if got := TopK(counts, 3); !slices.Equal(got, want) {
		t.Errorf("TopK 3 = %v, want %v", got, want)
	}
	if got := TopK(counts, 0); len(got) != 4 || got[3] != (Count{"d", 1}) {
		t.Errorf("TopK 0 = %v, want all four", got)
	}
	if got := TopK(nil, 5); len(got) != 0 {
		t.Errorf("TopK of nothing = %v", got)
	}
}

func TestBucketIndex(t *testing.T) {
	for _, tc := range []struct {
		t     time.Time
		width time.Duration
		want  int64
	}{
		{time.Unix(0, 0), time.Hour, 0},
		{time.Unix(3599, 999), time.Hour, 0},
		{time.Unix(3600, 0), time.Hour, 1},
		{time.Unix(-1, 0), time.Hour, -1},
		{time.Unix(-3600, 0), time.Hour, -1},
		{time.Unix(-3601, 0), time.Hour, -2},
		{time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600)), 24 * time.Hour, 19849},
	} {
		if got := BucketIndex(tc.t, tc.width); got != tc.want {
			t.Errorf("BucketIndex(%v, %v) = %d, want %d", tc.t, tc.width, got, tc.want)
		}
		if s := BucketStart(tc.want, tc.width); s.After(tc.t) || !s.Add(tc.width).After(tc.t) {
			t.Errorf("bucket %d starting %v does not hold %v", tc.want, s, tc.t)
		}
	}
}

func TestBuckets(t *testing.T) {
	counts := []LabelCount{
		{10, "AI", 3}, {10, "OTHER", 1},
		{12, "OTHER", 2},
		{12, "SPAM", 1}, // not a model label: appended
		{7, "AI", 100},  // before the window
		{13, "AI", 100}, // after it
	}
	bs, labels := Buckets(counts, []string{"AI", "OTHER"}, "AI", time.Hour, 12, 3)
	if !slices.Equal(labels, []string{"AI", "OTHER", "SPAM"}) {
		t.Errorf("labels %v", labels)
	}
	if len(bs) != 3 || bs[0].Index != 10 || bs[2].Index != 12 {
		t.Fatalf("buckets %+v", bs)
	}
	if !bs[0].Start.Equal(time.Unix(36000, 0)) {
		t.Errorf("start of bucket 10: %v", bs[0].Start)
	}
	want := []struct {
		counts []int64
		total  int64
		rate   float64
	}{{[]int64{3, 1, 0}, 4, .75}, {[]int64{0, 0, 0}, 0, math.NaN()}, {[]int64{0, 2, 1}, 3, 0}}
	for i, w := range want {
		b := bs[i]
		if !slices.Equal(b.Counts, w.counts) || b.Total != w.total || !(b.Rate == w.rate || math.IsNaN(w.rate) && math.IsNaN(b.Rate)) {
			t.Errorf("bucket %d: %+v, want %+v", i, b, w)
		}
	}
	// An unknown focus label has rate 0 in non-empty buckets.
	bs, _ = Buckets(counts, nil, "NOPE", time.Hour, 10, 1)
	if bs[0].Rate != 0 || bs[0].Total != 4 {
		t.Errorf("unknown focus: %+v", bs[0])
	}
}

func TestHashtags(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"no tags", nil},
		{"#AI and #ai again, #MachineLearning!", []string{"ai", "machinelearning"}},
		{"a#b c&#39; #123 #1st", []string{"1st"}},
		{"##double #_under_ #café #日本語 ＃full", []string{"double", "_under_", "café", "日本語", "full"}},
		{"end #", nil},
		{"url https://x.com/#frag and #tag", []string{"tag"}},
	} {
		if got := Hashtags(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Hashtags(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func FuzzHashtags(f *testing.F) {
	for _, s := range []string{"#AI #ai", "a#b", "&#39;", "#日本語", "##x", "\xff#a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags := Hashtags(s)
		seen := map[string]bool{}
		for _, tag := range tags {
			if tag == "" || seen[tag] {
				t.Fatalf("Hashtags(%q): empty or repeated tag in %q", s, tags)
			}
			seen[tag] = true
			letter := false
			for _, r := range tag {
				if !isTagRune(r) {
					t.Fatalf("Hashtags(%q): tag %q holds %q", s, tag, r)
				}
				if unicode.IsLetter(r) {
					letter = true
				}
			}
			if !letter || tag != lower(tag) {
				t.Fatalf("Hashtags(%q): tag %q has no letter or is not lowercase", s, tag)
			}
			if !strings.Contains(strings.ToLower(s), tag) && !strings.Contains(lower(s), tag) {
				t.Fatalf("Hashtags(%q): tag %q not in the text", s, tag)
			}
		}
	})
}

// TestReferenceFromROC rebuilds the score distribution of every label from
// the curves metrics.Compute writes and compares it with the scores.
func TestReferenceFromROC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	labels := []string{"AI", "OTHER", "SPAM"}
	const n = 300
	y := make([]int, n)
	proba := make([][]float64, n)
	for i := range y {
		y[i] = r.IntN(3)
		p := make([]float64, 3)
		sum := 0.0
		for c := range p {
			p[c] = math.Round(r.Float64()*40) + 1 // ties on purpose
			if c == y[i] {
				p[c] += 20
			}
			sum += p[c]
		}
		for c := range p {
			p[c] /= sum
		}
		proba[i] = p
	}
	rep, err := metrics.Compute(y, proba, labels)
	if err != nil {
		t.Fatal(err)
	}
	for c, l := range labels {
		want := map[float64]float64{}
		for i := range proba {
			want[proba[i][c]]++
		}
		ref, err := ReferenceFromROC(l, *rep.Curves[l].ROC, rep.PerClass[l].Support, rep.N)
		if err != nil {
			t.Fatal(err)
		}
		if !ref.Exact || ref.N != n {
			t.Errorf("%s: exact %v, n %d", l, ref.Exact, ref.N)
		}
		if len(ref.Values) != len(want) || !slices.IsSorted(ref.Values) {
			t.Fatalf("%s: %d values (sorted %v), want %d distinct scores", l, len(ref.Values), slices.IsSorted(ref.Values), len(want))
		}
		for i, v := range ref.Values {
			if !near(want[v], ref.Weights[i], 1e-9) {
				t.Errorf("%s: %d rows at %v, want %v", l, int(ref.Weights[i]), v, want[v])
			}
		}
		col := make([]float64, n)
		for i := range proba {
			col[i] = proba[i][c]
		}
		if d := KS(col, nil, ref.Values, ref.Weights); d > 1e-12 {
			t.Errorf("%s: KS of the scores against their reference %v, want 0", l, d)
		}
	}
	// Errors: too short a curve, a one-class label, a curve that does not cover n.
	roc := *rep.Curves["AI"].ROC
	sup := rep.PerClass["AI"].Support
	for _, tc := range []struct {
		name         string
		roc          metrics.ROCCurve
		support, all int
	}{
		{"one point", metrics.ROCCurve{FPR: []float64{0}, TPR: []float64{0}, Thresholds: []metrics.Float{metrics.Float(math.Inf(1))}}, 1, 2},
		{"no negatives", roc, n, n},
		{"wrong n", roc, sup, n + 7},
	} {
		if _, err := ReferenceFromROC("AI", tc.roc, tc.support, tc.all); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ v, want float64 }{{0, 1}, {1, 1}, {3, 5}, {7, 10}, {11, 20}, {0.23, 0.25}, {240, 250}, {1000, 1000}} {
		if got := NiceCeil(tc.v); !near(got, tc.want, 1e-12) {
			t.Errorf("NiceCeil(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestWidthLabel(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 15 * time.Minute: "15m", 24 * time.Hour: "1d", 90 * time.Second: "1m30s", 30 * time.Second: "30s"} {
		if got := WidthLabel(d); got != want {
			t.Errorf("WidthLabel(%v) = %q, want %q", d, got, want)
		}
	}
}
