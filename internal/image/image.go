package image

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Standard OCI annotation/label keys.
const (
	LabelVersion  = "org.opencontainers.image.version"
	LabelSource   = "org.opencontainers.image.source"
	LabelCreated  = "org.opencontainers.image.created"
	LabelTitle    = "org.opencontainers.image.title"
	LabelRevision = "org.opencontainers.image.revision"
	LabelRunID    = "dev.tweetflow.run-id"
	// RefNameAnnotation tags an image in an OCI layout's index.
	RefNameAnnotation = "org.opencontainers.image.ref.name"
)

// LayerSpec is one layer with its history line.
type LayerSpec struct {
	Files     []File
	CreatedBy string // history entry, e.g. "tweetflow: model server binary"
}

// Config is the image configuration.
type Config struct {
	Entrypoint   []string
	Cmd          []string
	Env          []string
	User         string   // e.g. "65532:65532"
	WorkingDir   string   // default "/"
	ExposedPorts []string // e.g. "8080/tcp"
	Labels       map[string]string
	// Created is the image creation time and the mtime of every file:
	// fixed (SOURCE_DATE_EPOCH, or the Unix epoch) for reproducible builds.
	Created time.Time
	// OS and Architecture default to linux and runtime.GOARCH.
	OS, Architecture string
}

// Build assembles an OCI image (OCI manifest and config media types) from
// an empty base and the layers. The result depends only on its inputs.
func Build(layers []LayerSpec, cfg Config) (v1.Image, error) {
	created := v1.Time{Time: cfg.Created.UTC().Truncate(time.Second)}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for _, ls := range layers {
		l, err := Layer(ls.Files, created.Time)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: types.OCILayer,
			History: v1.History{Created: created, CreatedBy: ls.CreatedBy, Comment: "tweetflow image builder"}})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = created
	cf.OS = cmpOr(cfg.OS, "linux")
	cf.Architecture = cmpOr(cfg.Architecture, runtime.GOARCH)
	cf.Config = v1.Config{
		Entrypoint: cfg.Entrypoint,
		Cmd:        cfg.Cmd,
		Env:        cfg.Env,
		User:       cfg.User,
		WorkingDir: cmpOr(cfg.WorkingDir, "/"),
		Labels:     maps.Clone(cfg.Labels),
	}
	if len(cfg.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range cfg.ExposedPorts {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	return img, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// WriteLayout writes img as an OCI image layout in dir (created; it must
// not hold another layout), tagged tag in index.json (the
// org.opencontainers.image.ref.name annotation that skopeo and umoci read
// as oci:<dir>:<tag>).
func WriteLayout(dir string, img v1.Image, tag string) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: tag}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	return nil
}

// Push uploads img to ref (e.g. "registry:5000/repo:tag"); insecure allows
// plain HTTP. Credentials come from the Docker config (DOCKER_CONFIG).
// It returns the reference by digest (repo@sha256:...).
func Push(ctx context.Context, img v1.Image, ref string, insecure bool, transport http.RoundTripper) (string, error) {
	var nopts []name.Option
	if insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return "", fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if transport != nil {
		ropts = append(ropts, remote.WithTransport(transport))
	}
	if err := remote.Write(r, img, ropts...); err != nil {
		return "", fmt.Errorf("pushing image %q: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return r.Context().Digest(d.String()).String(), nil
}
