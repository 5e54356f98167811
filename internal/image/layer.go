package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one entry of a layer.
type File struct {
	// Path is absolute or relative to the image root, slash separated
	// ("/usr/local/bin/x" and "usr/local/bin/x" are the same).
	Path string
	// Mode holds the permission bits (and fs.ModeDir for a folder).
	Mode fs.FileMode
	Data []byte
	// UID and GID own the entry (default 0, root).
	UID, GID int
}

// Layer builds a deterministic uncompressed tar of files (gzip-compressed
// as an OCI layer): entries sorted by path, missing parent folders added
// (0755, root), every time set to mtime, no user or group names. The same
// files and mtime always give the same digest.
func Layer(files []File, mtime time.Time) (v1.Layer, error) {
	b, err := Tar(files, mtime)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// Tar writes the deterministic tar that Layer compresses.
func Tar(files []File, mtime time.Time) ([]byte, error) {
	mtime = mtime.UTC().Truncate(time.Second)
	entries := map[string]File{}
	for _, f := range files {
		p := strings.Trim(path.Clean("/"+f.Path), "/")
		if p == "" {
			continue
		}
		if prev, dup := entries[p]; dup && !(prev.Mode.IsDir() && f.Mode.IsDir()) {
			return nil, fmt.Errorf("building layer: %q added twice", p)
		}
		f.Path = p
		entries[p] = f
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := entries[d]; !ok {
				entries[d] = File{Path: d, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		f := entries[n]
		h := &tar.Header{
			Name:    n,
			Mode:    int64(f.Mode.Perm()),
			Uid:     f.UID,
			Gid:     f.GID,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if f.Mode&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		if f.Mode.IsDir() {
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("building layer: writing %q: %w", n, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("building layer: writing %q: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("building layer: %w", err)
	}
	return buf.Bytes(), nil
}

// Non-root user of the images (the distroless "nonroot" convention).
const (
	NonRootUID  = 65532
	NonRootName = "nonroot"
)

// CACertsPath is where the base layer puts the CA bundle (Debian's path,
// which Go's crypto/x509 reads on Linux).
const CACertsPath = "/etc/ssl/certs/ca-certificates.crt"

// BaseFiles are the files of the minimal base layer: the CA bundle, a
// passwd and group with root and the non-root user 65532, and /tmp
// (world-writable, sticky).
func BaseFiles(caCerts []byte) []File {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		fmt.Sprintf("%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", NonRootName, NonRootUID, NonRootUID, NonRootName, NonRootName)
	group := "root:x:0:\n" + fmt.Sprintf("%s:x:%d:\n", NonRootName, NonRootUID)
	return []File{
		{Path: CACertsPath, Mode: 0o644, Data: caCerts},
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte(passwd)},
		{Path: "/etc/group", Mode: 0o644, Data: []byte(group)},
		{Path: "/etc/nsswitch.conf", Mode: 0o644, Data: []byte("hosts: files dns\n")},
		{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "/home/" + NonRootName, Mode: fs.ModeDir | 0o755, UID: NonRootUID, GID: NonRootUID},
		{Path: "/root", Mode: fs.ModeDir | 0o700},
	}
}
