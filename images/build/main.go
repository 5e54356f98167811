// Command build writes one OCI image layout per tweetflow binary (each
// pipeline component, the model server, the CLI), without a container
// daemon:
//
//	go run ./images/build --bin bin --version v1.2.3 --out out/images
//
// For every executable in --bin it writes <out>/<name>/ (an OCI layout
// tagged --version) with the binary at /usr/local/bin/<name> as the
// entrypoint (with the binaries it runs beside it: serve in
// build-serving-image's), on the minimal base of internal/image (CA bundle, non-root
// user 65532, /tmp). Binaries must be static (CGO_ENABLED=0, as `make
// build` makes them). Image times come from SOURCE_DATE_EPOCH (default 0),
// so the same binaries give the same digests. With --registry each image is
// also pushed as <registry>/<prefix><name>:<version>.
package main

import (
	"context"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tweetflow/tweetflow/internal/image"
	"github.com/tweetflow/tweetflow/internal/settings"
)

func main() {
	bin := flag.String("bin", "bin", "folder of the static binaries")
	ver := flag.String("version", "dev", "image tag and org.opencontainers.image.version label")
	out := flag.String("out", "out/images", "output folder: one OCI layout per binary")
	only := flag.String("only", "", "comma-free single binary name to build (default: all)")
	registry := flag.String("registry", "", "also push to this registry, e.g. localhost:5000/tweetflow")
	prefix := flag.String("prefix", "tweetflow-", "repository name prefix when pushing")
	insecure := flag.Bool("insecure-registry", false, "push over plain HTTP")
	ca := flag.String("ca-certs", image.CACertsPath, "CA bundle to install in the images")
	source := flag.String("source", settings.DefaultImageSource, "org.opencontainers.image.source label")
	flag.Parse()
	st, err := settings.Resolve(nil, os.LookupEnv, []*settings.Setting{settings.SourceDateEpoch})
	if err != nil {
		fmt.Fprintln(os.Stderr, "error: images/build:", err)
		os.Exit(2)
	}
	if err := build(*bin, *ver, *out, *only, *registry, *prefix, *insecure, *ca, *source, st.SourceDate); err != nil {
		fmt.Fprintln(os.Stderr, "error: images/build:", err)
		os.Exit(1)
	}
}

func build(bin, ver, out, only, registry, prefix string, insecure bool, caPath, source string, created time.Time) error {
	ca, err := os.ReadFile(caPath)
	if err != nil {
		return fmt.Errorf("reading CA bundle %q: %w", caPath, err)
	}
	entries, err := os.ReadDir(bin)
	if err != nil {
		return fmt.Errorf("reading binaries folder %q: %w", bin, err)
	}
	var names []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			continue
		}
		if only != "" && e.Name() != only {
			continue
		}
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Errorf("no executables in %q", bin)
	}
	for _, n := range names {
		p := filepath.Join(bin, n)
		if err := checkStatic(p); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		comp := image.Component{Name: n, Binary: b, Version: ver, Source: source, Created: created, CACerts: ca}
		for _, m := range companions[n] {
			cb, err := companion(bin, m)
			if err != nil {
				return fmt.Errorf("image %s: %w", n, err)
			}
			if comp.Companions == nil {
				comp.Companions = map[string][]byte{}
			}
			comp.Companions[m] = cb
		}
		img, err := image.ComponentImage(comp)
		if err != nil {
			return err
		}
		dir := filepath.Join(out, n)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := image.WriteLayout(dir, img, ver); err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		fmt.Printf("%-22s %s  oci:%s:%s\n", n, d, dir, ver)
		if registry != "" {
			ref, err := image.Push(context.Background(), img, registry+"/"+prefix+n+":"+ver, insecure, nil)
			if err != nil {
				return err
			}
			fmt.Printf("%-22s pushed %s\n", "", ref)
		}
	}
	return nil
}

// companions lists the binaries a component's image needs beside its own:
// build-serving-image packages the model server it finds beside itself.
var companions = map[string][]string{"build-serving-image": {"serve"}}

// companion reads the static binary name from the binaries folder.
func companion(bin, name string) ([]byte, error) {
	p := filepath.Join(bin, name)
	if err := checkStatic(p); err != nil {
		return nil, fmt.Errorf("companion binary %s: %w", name, err)
	}
	return os.ReadFile(p)
}

func checkStatic(p string) error {
	f, err := elf.Open(p)
	if err != nil {
		return fmt.Errorf("reading %q: not an ELF executable: %w", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("%q is dynamically linked; build with CGO_ENABLED=0", p)
		}
	}
	return nil
}
