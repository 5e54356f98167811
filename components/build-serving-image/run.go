package main

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/image"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/version"
)

func run(ctx context.Context, env *component.Env, p stages.BuildServingImageParams) error {
	in, _ := env.Input("onnx")
	files, err := readModel(ctx, in)
	if err != nil {
		return err
	}
	// Load the model as the server will: a broken export fails here, not in
	// the cluster.
	m, err := serving.LoadFiles(files, path.Base(in.Key))
	if err != nil {
		return fmt.Errorf("checking the exported model: %w", err)
	}
	env.Log.Info("model checked", "version", m.Version(), "labels", m.Labels(), "files", len(files))

	binPath, err := findServer(p.ServerBinary)
	if err != nil {
		return err
	}
	server, err := os.ReadFile(binPath)
	if err != nil {
		return fmt.Errorf("reading server binary %q: %w", binPath, err)
	}
	if err := checkStatic(binPath); err != nil {
		return err
	}
	st := env.Settings()
	caPath := st.CACerts
	ca, err := os.ReadFile(caPath)
	if err != nil {
		return fmt.Errorf("reading CA certificates %q (install Debian's ca-certificates or set --ca-certs or SSL_CERT_FILE): %w", caPath, err)
	}
	created, source := st.SourceDate, st.ImageSource
	img, err := image.ServingImage(image.Serving{
		Server: server, Model: files, ModelVersion: m.Version(), RunID: env.RunID,
		Source: source, Revision: version.Version, Created: created, CACerts: ca,
	})
	if err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("computing image digest: %w", err)
	}
	tag := p.Tag
	if tag == "" {
		tag = env.RunID
	}
	tmp, err := os.MkdirTemp("", "tweetflow-image-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	lay := filepath.Join(tmp, "layout")
	if err := image.WriteLayout(lay, img, tag); err != nil {
		return err
	}
	out := env.Output("image")
	n, err := copyTree(ctx, lay, out)
	if err != nil {
		return err
	}
	out.SetMeta("digest", d.String())
	out.SetMeta("tag", tag)
	out.SetMeta("model_version", m.Version())
	env.AddRows(0, 1)
	env.SetExtra("layout_bytes", n)
	env.SetResult("digest", d.String())
	env.SetResult("image", "")
	fmt.Fprintf(env.Stdout, "image %s (model %s, tag %s)\n", d, m.Version(), tag)

	if reg := p.Registry; reg != "" {
		ref := strings.TrimSuffix(reg, "/") + "/" + p.Repository + ":" + tag
		pushed, err := image.Push(ctx, img, ref, p.InsecureRegistry, nil)
		if err != nil {
			return err
		}
		env.SetResult("image", pushed)
		env.Log.Info("pushed", "image", pushed)
		fmt.Fprintf(env.Stdout, "pushed %s\n", pushed)
	}
	return nil
}

// readModel reads the files of the exported model folder; a committed
// artifact is read through its manifest.
func readModel(ctx context.Context, loc artifact.Location) (map[string][]byte, error) {
	var names []string
	man, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
	switch {
	case err == nil:
		for _, f := range man.Files {
			names = append(names, f.Name)
		}
	case errors.Is(err, artifact.ErrNotCommitted):
		if _, ok := loc.Store.(*artifact.FS); !ok {
			return nil, err
		}
		prefix := loc.Key
		if prefix != "" {
			prefix += "/"
		}
		objs, lerr := loc.Store.List(ctx, prefix)
		if lerr != nil {
			return nil, fmt.Errorf("listing model %q: %w", loc.URI(), lerr)
		}
		for _, o := range objs {
			rel := strings.TrimPrefix(o.Key, prefix)
			if artifact.ValidFileName(rel) == nil {
				names = append(names, rel)
			}
		}
	default:
		return nil, err
	}
	files := map[string][]byte{}
	for _, n := range names {
		r, err := loc.Store.Open(ctx, path.Join(loc.Key, n))
		if err != nil {
			return nil, fmt.Errorf("reading model file %q: %w", n, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("reading model file %q: %w", n, err)
		}
		files[n] = b
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("reading model %q: no files", loc.URI())
	}
	return files, nil
}

// findServer locates the server binary: the flag, then "serve" beside this
// executable, then serve or tweetflow-serve on PATH.
func findServer(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "serve")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	for _, n := range []string{"serve", "tweetflow-serve"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", component.Usagef("no server binary: give --server-binary, put serve beside build-serving-image, or on PATH")
}

// checkStatic refuses dynamically linked binaries: the image has no libc.
func checkStatic(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("reading server binary %q: not an ELF executable: %w", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("checking server binary %q: dynamically linked; build it with CGO_ENABLED=0", p)
		}
	}
	return nil
}

// copyTree copies every file under dir into the output; it returns the bytes copied.
func copyTree(ctx context.Context, dir string, out *artifact.Output) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		total += st.Size()
		return out.WriteFile(ctx, filepath.ToSlash(rel), f)
	})
	if err != nil {
		return 0, fmt.Errorf("copying the OCI layout: %w", err)
	}
	return total, nil
}
