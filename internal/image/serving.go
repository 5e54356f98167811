package image

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// ServerPath is where the serving image keeps the model server.
const ServerPath = "/usr/local/bin/tweetflow-serve"

// ModelsDir is the folder of the model versions in the serving image.
const ModelsDir = "/models"

// DefaultPort is the port the server listens on in the images.
const DefaultPort = 8080

// Serving describes a model-server image.
type Serving struct {
	// Server is the statically linked server binary (components/serve).
	Server []byte
	// Model holds the model folder's files by relative name (model.onnx,
	// featurizer.json, vocab.txt, metadata.json, ...).
	Model        map[string][]byte
	ModelVersion string
	RunID        string
	Source       string // org.opencontainers.image.source, e.g. the repository URL
	Revision     string // org.opencontainers.image.revision, e.g. the git commit
	Created      time.Time
	// CACerts is the PEM bundle installed at CACertsPath.
	CACerts []byte
	Port    int // default DefaultPort
}

// ServingImage builds the model-server image: a base layer (CA bundle,
// passwd/group with the non-root user, /tmp), a layer with the server
// binary at ServerPath and a layer with the model at /models/<version>/.
// The entrypoint runs the server on that model as user 65532.
func ServingImage(s Serving) (v1.Image, error) {
	if len(s.Server) == 0 {
		return nil, fmt.Errorf("building serving image: no server binary")
	}
	if err := artifact.ValidateName("model version", s.ModelVersion); err != nil {
		return nil, fmt.Errorf("building serving image: %w", err)
	}
	if len(s.Model) == 0 {
		return nil, fmt.Errorf("building serving image: no model files")
	}
	port := s.Port
	if port == 0 {
		port = DefaultPort
	}
	modelDir := path.Join(ModelsDir, s.ModelVersion)
	names := make([]string, 0, len(s.Model))
	for n := range s.Model {
		if err := artifact.ValidFileName(n); err != nil {
			return nil, fmt.Errorf("building serving image: %w", err)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	var modelFiles []File
	for _, n := range names {
		modelFiles = append(modelFiles, File{Path: path.Join(modelDir, n), Mode: 0o444, Data: s.Model[n]})
	}
	labels := map[string]string{
		LabelVersion:                  s.ModelVersion,
		LabelTitle:                    "tweetflow-serve",
		LabelCreated:                  s.Created.UTC().Format(time.RFC3339),
		"dev.tweetflow.model-version": s.ModelVersion,
	}
	if s.RunID != "" {
		labels[LabelRunID] = s.RunID
	}
	if s.Source != "" {
		labels[LabelSource] = s.Source
	}
	if s.Revision != "" {
		labels[LabelRevision] = s.Revision
	}
	addr := ":" + strconv.Itoa(port)
	return Build([]LayerSpec{
		{Files: BaseFiles(s.CACerts), CreatedBy: "tweetflow: base (CA certificates, users, /tmp)"},
		{Files: []File{{Path: ServerPath, Mode: 0o755, Data: s.Server}}, CreatedBy: "tweetflow: model server " + ServerPath},
		{Files: modelFiles, CreatedBy: "tweetflow: model " + s.ModelVersion + " at " + modelDir},
	}, Config{
		Entrypoint: []string{ServerPath, "--model", modelDir},
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"SSL_CERT_FILE=" + CACertsPath,
			"TWEETFLOW_ADDR=" + addr,
			"TWEETFLOW_RELOAD_INTERVAL=0s",
			// serve runs in the component harness, which keeps its lease
			// and run summary in the store: the writable /tmp, as the
			// root filesystem may be read-only and the user is not root.
			"TWEETFLOW_STORE=/tmp/tweetflow",
		},
		User:         strconv.Itoa(NonRootUID) + ":" + strconv.Itoa(NonRootUID),
		ExposedPorts: []string{strconv.Itoa(port) + "/tcp"},
		Labels:       labels,
		Created:      s.Created,
	})
}

// Component describes the image of one pipeline component.
type Component struct {
	Name     string // binary and image name, e.g. "train"
	Binary   []byte
	Version  string
	Source   string
	Revision string
	Created  time.Time
	CACerts  []byte
	// Companions are other binaries the component runs, by name, put
	// beside it in /usr/local/bin (build-serving-image packages serve).
	Companions map[string][]byte
}

// ComponentImage builds the image of a pipeline component: the base layer
// and the binary at /usr/local/bin/<name>, which is the entrypoint, with
// its companions beside it in the same layer.
func ComponentImage(c Component) (v1.Image, error) {
	if err := artifact.ValidateName("component name", c.Name); err != nil {
		return nil, fmt.Errorf("building component image: %w", err)
	}
	if len(c.Binary) == 0 {
		return nil, fmt.Errorf("building component image %q: no binary", c.Name)
	}
	bin := path.Join("/usr/local/bin", c.Name)
	labels := map[string]string{LabelTitle: c.Name, LabelCreated: c.Created.UTC().Format(time.RFC3339)}
	if c.Version != "" {
		labels[LabelVersion] = c.Version
	}
	if c.Source != "" {
		labels[LabelSource] = c.Source
	}
	if c.Revision != "" {
		labels[LabelRevision] = c.Revision
	}
	files := []File{{Path: bin, Mode: 0o755, Data: c.Binary}}
	created := "tweetflow: component " + bin
	names := make([]string, 0, len(c.Companions))
	for n := range c.Companions {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := artifact.ValidateName("companion binary name", n); err != nil || n == c.Name {
			return nil, fmt.Errorf("building component image %q: companion %q: not a separate binary name", c.Name, n)
		}
		if len(c.Companions[n]) == 0 {
			return nil, fmt.Errorf("building component image %q: companion %q: no binary", c.Name, n)
		}
		p := path.Join("/usr/local/bin", n)
		files = append(files, File{Path: p, Mode: 0o755, Data: c.Companions[n]})
		created += " " + p
	}
	return Build([]LayerSpec{
		{Files: BaseFiles(c.CACerts), CreatedBy: "tweetflow: base (CA certificates, users, /tmp)"},
		{Files: files, CreatedBy: created},
	}, Config{
		Entrypoint: []string{bin},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=" + CACertsPath},
		User:       strconv.Itoa(NonRootUID) + ":" + strconv.Itoa(NonRootUID),
		WorkingDir: "/tmp",
		Labels:     labels,
		Created:    c.Created,
	})
}
