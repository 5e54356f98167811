package stageio

import (
	"context"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/text"
)

// LoadedModel is a trained model folder with the cleaner its text was made with.
type LoadedModel struct {
	Model    *classifier.Model
	Meta     *classifier.Metadata
	Cleaner  text.Options
	Manifest *artifact.Manifest
}

// LoadModel loads the committed train output at loc.
func LoadModel(ctx context.Context, loc artifact.Location) (*LoadedModel, error) {
	open, man, err := Opener(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", loc.URI(), err)
	}
	m, md, err := classifier.Load(open)
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", loc.URI(), err)
	}
	opts, ok, err := ReadCleaner(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", loc.URI(), err)
	}
	if !ok {
		opts = text.DefaultOptions()
	}
	return &LoadedModel{Model: m, Meta: md, Cleaner: opts, Manifest: man}, nil
}
