package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// imageConfig is the part of an OCI image config a container runtime uses.
type imageConfig struct {
	Entrypoint []string `json:"Entrypoint"`
	Cmd        []string `json:"Cmd"`
	Env        []string `json:"Env"`
	User       string   `json:"User"`
	WorkingDir string   `json:"WorkingDir"`
}

// image is an unpacked OCI image: its root filesystem and its config.
type image struct {
	Ref    string
	Digest string // manifest digest
	RootFS string
	Config imageConfig
}

// imageStore resolves image references to the OCI layouts in its folders
// (one layout per image name, as `make images` writes them) and unpacks each
// manifest once into its cache folder. A reference such as
// ghcr.io/tweetflow/tweetflow-ingest:v1 is looked up by its last path
// element with the tag, the digest and the prefix removed: <dir>/ingest.
type imageStore struct {
	dirs   []string
	prefix string
	cache  string

	mu     sync.Mutex
	images map[string]*image // by manifest digest
}

// imageName returns the layout name of ref.
func (s *imageStore) imageName(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	name := path.Base(ref)
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name = name[:i]
	}
	return strings.TrimPrefix(name, s.prefix)
}

// Resolve returns the unpacked image of ref.
func (s *imageStore) Resolve(ref string) (*image, error) {
	name := s.imageName(ref)
	var layout string
	for _, d := range s.dirs {
		if _, err := os.Stat(filepath.Join(d, name, "index.json")); err == nil {
			layout = filepath.Join(d, name)
			break
		}
	}
	if layout == "" {
		return nil, fmt.Errorf("image %q: no OCI layout %q in %s (run `make images`)", ref, name, strings.Join(s.dirs, ", "))
	}
	manifestDigest, manifest, err := readManifest(layout)
	if err != nil {
		return nil, fmt.Errorf("image %q: layout %s: %w", ref, layout, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if img, ok := s.images[manifestDigest]; ok {
		return &image{Ref: ref, Digest: img.Digest, RootFS: img.RootFS, Config: img.Config}, nil
	}
	dir := filepath.Join(s.cache, strings.ReplaceAll(manifestDigest, ":", "-"))
	img := &image{Ref: ref, Digest: manifestDigest, RootFS: filepath.Join(dir, "rootfs")}
	var cfg struct {
		Config imageConfig `json:"config"`
	}
	if err := readJSON(blobPath(layout, manifest.Config.Digest), &cfg); err != nil {
		return nil, fmt.Errorf("image %q: config: %w", ref, err)
	}
	img.Config = cfg.Config
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		tmp := dir + ".tmp"
		if err := os.RemoveAll(tmp); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(tmp, "rootfs"), 0o755); err != nil {
			return nil, err
		}
		for _, l := range manifest.Layers {
			if err := unpackLayer(blobPath(layout, l.Digest), l.MediaType, filepath.Join(tmp, "rootfs")); err != nil {
				return nil, fmt.Errorf("image %q: layer %s: %w", ref, l.Digest, err)
			}
		}
		if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
			return nil, err
		}
		_ = os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil {
			return nil, err
		}
	}
	if s.images == nil {
		s.images = map[string]*image{}
	}
	s.images[manifestDigest] = img
	return img, nil
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
}

type manifest struct {
	Config descriptor   `json:"config"`
	Layers []descriptor `json:"layers"`
}

func blobPath(layout, digest string) string {
	alg, hex, _ := strings.Cut(digest, ":")
	return filepath.Join(layout, "blobs", alg, hex)
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", file, err)
	}
	return nil
}

// readManifest follows index.json (and nested indexes) to the first image
// manifest for linux/amd64 or without a platform.
func readManifest(layout string) (string, *manifest, error) {
	file := filepath.Join(layout, "index.json")
	for depth := 0; depth < 4; depth++ {
		var idx struct {
			Manifests []struct {
				descriptor
				Platform *struct {
					OS           string `json:"os"`
					Architecture string `json:"architecture"`
				} `json:"platform"`
			} `json:"manifests"`
		}
		if err := readJSON(file, &idx); err != nil {
			return "", nil, err
		}
		var pick *descriptor
		for i, m := range idx.Manifests {
			if m.Platform == nil || (m.Platform.OS == "linux" && m.Platform.Architecture == "amd64") {
				pick = &idx.Manifests[i].descriptor
				break
			}
		}
		if pick == nil {
			return "", nil, fmt.Errorf("%s lists no linux/amd64 manifest", file)
		}
		if strings.Contains(pick.MediaType, "index") || strings.Contains(pick.MediaType, "manifest.list") {
			file = blobPath(layout, pick.Digest)
			continue
		}
		var m manifest
		if err := readJSON(blobPath(layout, pick.Digest), &m); err != nil {
			return "", nil, err
		}
		return pick.Digest, &m, nil
	}
	return "", nil, fmt.Errorf("%s: indexes nested too deeply", layout)
}

// unpackLayer extracts one layer tar (gzip or not) into root, applying
// whiteouts. Paths are kept inside root.
func unpackLayer(file, mediaType, root string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer gz.Close()
		r = gz
	} else if strings.Contains(mediaType, "zstd") {
		return fmt.Errorf("zstd layers are not supported (%s)", mediaType)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean("/" + h.Name)
		dst := filepath.Join(root, name)
		base := path.Base(name)
		if base == ".wh..wh..opq" {
			ents, _ := os.ReadDir(filepath.Dir(dst))
			for _, e := range ents {
				_ = os.RemoveAll(filepath.Join(filepath.Dir(dst), e.Name()))
			}
			continue
		}
		if strings.HasPrefix(base, ".wh.") {
			_ = os.RemoveAll(filepath.Join(filepath.Dir(dst), strings.TrimPrefix(base, ".wh.")))
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(h.Mode) & os.ModePerm
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, mode); err != nil {
				return err
			}
		case tar.TypeReg:
			_ = os.RemoveAll(dst)
			out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		case tar.TypeSymlink:
			_ = os.RemoveAll(dst)
			if err := os.Symlink(h.Linkname, dst); err != nil {
				return err
			}
		case tar.TypeLink:
			_ = os.RemoveAll(dst)
			if err := os.Link(filepath.Join(root, path.Clean("/"+h.Linkname)), dst); err != nil {
				return err
			}
		default:
			continue // devices and fifos are not needed by our images
		}
		if err := os.Lchown(dst, h.Uid, h.Gid); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeSymlink {
			// syscall.Chmod keeps the setuid, setgid and sticky bits as in the tar.
			if err := syscall.Chmod(dst, uint32(h.Mode)&0o7777); err != nil {
				return err
			}
		}
	}
}
