package stages

import (
	"fmt"
	"strconv"
	"testing"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

// paramsOf pairs every contract with the check of its parameters struct.
var paramsOf = map[*c.Contract]func(*c.Contract) error{
	&Ingest:            c.CheckParams[IngestParams],
	&Clean:             c.CheckParams[CleanParams],
	&BalanceSplit:      c.CheckParams[BalanceSplitParams],
	&Embed:             c.CheckParams[EmbedParams],
	&Train:             c.CheckParams[TrainParams],
	&EvaluateGate:      c.CheckParams[EvaluateGateParams],
	&ExportONNX:        c.CheckParams[ExportONNXParams],
	&BuildServingImage: c.CheckParams[BuildServingImageParams],
	&Score:             c.CheckParams[ScoreParams],
	&Label:             c.CheckParams[LabelParams],
	&Annotate:          c.CheckParams[AnnotateParams],
	&Dashboard:         c.CheckParams[DashboardParams],
	&Serve:             c.CheckParams[ServeParams],
	&LoadPostgres:      c.CheckParams[LoadPostgresParams],
	&Collect:           c.CheckParams[CollectParams],
}

// TestParamsMatchContracts: every component's parameters struct has one
// field of a fitting type per contract parameter, and no other; adding a
// parameter to a contract without its field fails here.
func TestParamsMatchContracts(t *testing.T) {
	for _, ct := range Components {
		check, ok := paramsOf[ct]
		if !ok {
			t.Errorf("%s: no parameters struct in paramsOf", ct.Name)
			continue
		}
		if err := check(ct); err != nil {
			t.Error(err)
		}
	}
	if len(paramsOf) != len(Components) {
		t.Errorf("paramsOf has %d contracts, Components %d", len(paramsOf), len(Components))
	}
}

// TestGateThresholdsFollowTheMetricNames: each gated metric's threshold
// parameter (metrics.Gated) is the field Thresholds reports for it.
func TestGateThresholdsFollowTheMetricNames(t *testing.T) {
	ct := EvaluateGate
	ct.Params = append([]c.Param(nil), EvaluateGate.Params...)
	want := map[string]float64{}
	for i, p := range ct.Params {
		if _, ok := metrics.GatedByParam(p.Name); ok {
			v := 0.125 * float64(i+1)
			ct.Params[i].Default = strconv.FormatFloat(v, 'g', -1, 64)
			want[p.Name] = v
		}
	}
	p, err := c.DecodeDefaults[EvaluateGateParams](&ct)
	if err != nil {
		t.Fatal(err)
	}
	th := p.Thresholds()
	if len(th) != len(metrics.Gated) || len(want) != len(metrics.Gated) {
		t.Fatalf("%d thresholds, %d threshold parameters, %d gated metrics", len(th), len(want), len(metrics.Gated))
	}
	for _, h := range metrics.Gated {
		if got, ok := th[h]; !ok || got != want[h.Param] {
			t.Errorf("threshold of %s = %v (%v), want --%s's %v", h.Key, got, ok, h.Param, want[h.Param])
		}
	}
}

// TestParamValueTypes: the parameter types that parse their text once
// accept the forms their help names and refuse others.
func TestParamValueTypes(t *testing.T) {
	tests := []struct {
		name, in string
		v        interface{ UnmarshalText([]byte) error }
		want     string // fmt %v of the value; "" = an error
	}{
		{"char-ngrams range", "3-5", &CharNgrams{}, "&{3 5}"},
		{"char-ngrams single", "4", &CharNgrams{}, "&{4 4}"},
		{"char-ngrams off", "0", &CharNgrams{}, "&{0 0}"},
		{"char-ngrams bad", "x-y", &CharNgrams{}, ""},
		{"format", "CSV", &Format{}, "&{csv}"},
		{"format bad", "xml", &Format{}, ""},
		{"label map empty", "", &LabelMap{}, "&{<nil>}"},
		{"label map bad", "0->", &LabelMap{}, ""},
		{"labels", "AI,OTHER", &LabelSet{}, "AI,OTHER"}, // labelset.Spec.String
		{"labels bad", "AI", &LabelSet{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.UnmarshalText([]byte(tt.in))
			if tt.want == "" {
				if err == nil {
					t.Errorf("%q: no error, got %v", tt.in, tt.v)
				}
				return
			}
			if got := fmt.Sprintf("%v", tt.v); err != nil || got != tt.want {
				t.Errorf("%q: %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	var lm LabelMap
	if err := lm.UnmarshalText([]byte("0->negative,4->positive")); err != nil || lm.Map == nil {
		t.Fatalf("label map: %v, %v", lm.Map, err)
	}
}
