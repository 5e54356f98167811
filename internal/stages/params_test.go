package stages

import (
	"testing"

	c "github.com/tweetflow/tweetflow/internal/component"
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
