package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// containerSpec is what the kubelet hands to its own binary re-executed as
// "nsexec" inside new mount and PID namespaces: build the container's root
// from the image and the volumes, chroot into it, drop to the container's
// user and exec the command, which becomes PID 1 of the container.
type containerSpec struct {
	Root       string      // mount point of the container's root (an empty folder)
	Lower      string      // the unpacked image rootfs (read-only lower layer)
	Upper      string      // overlay upper and work folders (the container's writable layer)
	Work       string      //
	ReadOnly   bool        // securityContext.readOnlyRootFilesystem
	Mounts     []mountSpec // volumes, /etc/hosts, /etc/resolv.conf, /dev/termination-log
	Argv       []string
	Env        []string
	Dir        string
	UID, GID   uint32
	Groups     []uint32
	NoNewPrivs bool
}

type mountSpec struct {
	Src, Dst string
	ReadOnly bool
}

// resolveIn returns the host path of p inside root, following symbolic links
// as the container would see them (an absolute link target is relative to
// root), so that a link in an image never leads outside its root.
func resolveIn(root, p string) (string, error) {
	parts := strings.Split(filepath.Clean("/"+p), "/")
	cur := "/"
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("%s: too many symbolic links", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(cur, target)
		}
		parts = append(strings.Split(filepath.Clean(target), "/"), parts...)
		cur = "/"
	}
	return filepath.Join(root, cur), nil
}

// mountPoint creates the mount point of dst inside root (a folder, or an
// empty file when src is a file) and returns its host path.
func mountPoint(root, dst string, file bool) (string, error) {
	host, err := resolveIn(root, dst)
	if err != nil {
		return "", err
	}
	if !file {
		return host, os.MkdirAll(host, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return "", err
	}
	if _, err := os.Stat(host); err == nil {
		return host, nil
	}
	f, err := os.OpenFile(host, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	return host, f.Close()
}

// childMain runs the kubelet's binary re-executed as a container's first
// process ("nsexec SPEC") or as a process exec'd into a running container
// ("nsenter SPEC", see execIn); it reports whether it was one (it then
// does not return unless the arguments are wrong).
func childMain(args []string) bool {
	if len(args) != 3 {
		return false
	}
	switch args[1] {
	case "nsexec":
		nsexec(args[2])
	case "nsenter":
		nsenter(args[2])
	default:
		return false
	}
	return true
}

// exitOnError returns the error check of a re-executed child: on an error
// it prints what failed, after prefix, and exits 127.
func exitOnError(prefix string) func(what string, err error) {
	return func(what string, err error) {
		if err != nil {
			fmt.Fprintf(os.Stderr, "argo-local kubelet: %s: %s: %v\n", prefix, what, err)
			os.Exit(127)
		}
	}
}

// nsexec runs as PID 1 of a new PID namespace in a new mount namespace and
// never returns: it execs the container's command or exits 127.
func nsexec(arg string) {
	var s containerSpec
	fail := exitOnError("starting container")
	fail("decoding the container spec", json.Unmarshal([]byte(arg), &s))
	// fd 3 is the kubelet's readiness pipe: it closes when the exec below
	// succeeds (or this process exits).
	syscall.CloseOnExec(3)
	fail("making mounts private", syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""))
	fail("mounting the root overlay", syscall.Mount("overlay", s.Root, "overlay", 0,
		"lowerdir="+s.Lower+",upperdir="+s.Upper+",workdir="+s.Work))

	proc, err := mountPoint(s.Root, "/proc", false)
	fail("/proc", err)
	fail("mounting /proc", syscall.Mount("proc", proc, "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""))
	dev, err := mountPoint(s.Root, "/dev", false)
	fail("/dev", err)
	fail("mounting /dev", syscall.Mount("tmpfs", dev, "tmpfs", syscall.MS_NOSUID, "mode=755"))
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		f, err := os.OpenFile(filepath.Join(dev, n), os.O_CREATE|os.O_WRONLY, 0o666)
		fail("/dev/"+n, err)
		f.Close()
		fail("binding /dev/"+n, syscall.Mount("/dev/"+n, filepath.Join(dev, n), "", syscall.MS_BIND, ""))
	}
	for n, t := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		fail("/dev/"+n, os.Symlink(t, filepath.Join(dev, n)))
	}
	fail("/dev/shm", os.Mkdir(filepath.Join(dev, "shm"), 0o1777))
	fail("mounting /dev/shm", syscall.Mount("shm", filepath.Join(dev, "shm"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777"))

	// Parents before children: /var/run/argo before /var/run/argo/x.
	sort.SliceStable(s.Mounts, func(i, j int) bool {
		return len(filepath.Clean(s.Mounts[i].Dst)) < len(filepath.Clean(s.Mounts[j].Dst))
	})
	for _, m := range s.Mounts {
		fi, err := os.Stat(m.Src)
		fail("volume source "+m.Src, err)
		dst, err := mountPoint(s.Root, m.Dst, !fi.IsDir())
		fail("mount point "+m.Dst, err)
		fail("binding "+m.Dst, syscall.Mount(m.Src, dst, "", syscall.MS_BIND|syscall.MS_REC, ""))
		if m.ReadOnly {
			fail("read-only "+m.Dst, syscall.Mount("", dst, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""))
		}
	}
	if s.ReadOnly {
		fail("read-only root", syscall.Mount("", s.Root, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""))
	}
	fail("chdir root", os.Chdir(s.Root))
	fail("chroot", syscall.Chroot("."))
	startIn(s, fail)
}

// startIn runs in the container's root: it changes to the working dir,
// finds the command in the container's PATH, takes the container's user
// and groups and execs the command; fail reports a step's error and exits.
func startIn(s containerSpec, fail func(string, error)) {
	var err error
	dir := s.Dir
	if dir == "" {
		dir = "/"
	}
	fail("working dir "+dir, os.Chdir(dir))

	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range s.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	bin := s.Argv[0]
	if !strings.Contains(bin, "/") {
		fail("PATH", os.Setenv("PATH", path))
		bin, err = exec.LookPath(bin)
		fail("finding "+s.Argv[0]+" in PATH "+path, err)
	}
	groups := make([]int, len(s.Groups))
	for i, g := range s.Groups {
		groups[i] = int(g)
	}
	fail("setgroups", syscall.Setgroups(groups))
	fail("setgid", syscall.Setgid(int(s.GID)))
	fail("setuid", syscall.Setuid(int(s.UID)))
	if s.NoNewPrivs {
		const prSetNoNewPrivs = 38
		if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetNoNewPrivs, 1, 0, 0, 0, 0); e != 0 {
			fail("no_new_privs", e)
		}
	}
	fail("exec "+bin, syscall.Exec(bin, s.Argv, s.Env))
}
