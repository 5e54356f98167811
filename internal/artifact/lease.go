package artifact

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sync"
	"time"
)

// LeaseName is the lease object of a step: runs/<run-id>/<step>/_lease.json.
const LeaseName = "_lease.json"

// LeaseKey is the key of one step's lease: "runs/<run-id>/<step>/_lease.json".
func LeaseKey(runID, step string) string { return path.Join("runs", runID, step, LeaseName) }

// Lease defaults.
const (
	// DefaultLeaseTTL is how long a lease stays valid without a renewal;
	// the holder renews it every third of that.
	DefaultLeaseTTL = 30 * time.Second
	// localDeathWait is how long Acquire waits for a holder on this machine
	// whose process still exists to go (a child killed with its executor
	// dies a moment later).
	localDeathWait = 2 * time.Second
)

// ErrLeaseHeld is returned (wrapped) by AcquireLease when another live
// process holds the lease, and by Lease.Check when this one lost it.
var ErrLeaseHeld = errors.New("another process is writing this step")

// LeaseInfo is the content of a lease object.
type LeaseInfo struct {
	// Owner is a random token of the holder; staging areas of its outputs
	// carry it (NewOutputOwned), so leftovers can be told from live writes.
	Owner  string `json:"owner"`
	Holder string `json:"holder,omitempty"` // what holds it, e.g. the component
	Host   string `json:"host"`
	PID    int    `json:"pid"`
	// PIDStart is the start time of the process (Linux), to tell a reused pid.
	PIDStart   string    `json:"pid_start,omitempty"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Released is set when the holder finished: the lease is free.
	Released bool `json:"released,omitempty"`
}

func (i *LeaseInfo) String() string {
	who := i.Holder
	if who == "" {
		who = "a process"
	}
	return fmt.Sprintf("%s (pid %d on host %s, since %s, renewed %s)", who, i.PID, i.Host,
		i.AcquiredAt.Format(time.RFC3339), i.RenewedAt.Format(time.RFC3339))
}

var thisHost = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}()

// deadLocally reports whether the holder ran on this machine and its
// process is gone.
func (i *LeaseInfo) deadLocally() bool {
	return i.Host == thisHost && i.PID > 0 && !processAlive(i.PID, i.PIDStart)
}

// LeaseOptions tune AcquireLease.
type LeaseOptions struct {
	// Holder names the holder in the lease (a component name) for messages.
	Holder string
	// TTL is how long the lease lasts without a renewal (DefaultLeaseTTL).
	TTL time.Duration
	// OnLost is called once, from the renewal goroutine, when the lease is
	// lost (taken over after this process failed to renew it in time).
	OnLost func(error)
}

// Lease is a held lease on one key: while it is held no other process that
// asks for the same key gets it. See AcquireLease.
type Lease struct {
	store Store
	cond  Conditional
	key   string
	ttl   time.Duration

	mu      sync.Mutex
	info    LeaseInfo
	version string
	lost    error

	stop     chan struct{}
	stopped  chan struct{}
	onLost   func(error)
	released bool
}

// AcquireLease takes the lease object at key (e.g. LeaseKey(run, step)
// under a store root) for this process and renews it in the background
// until Release.
//
// The lease is free when it does not exist, was released, or its holder is
// dead: a process of this machine that no longer exists (at once, or within
// 2 s for one that is dying), or a holder elsewhere that has not renewed it
// for its whole TTL (AcquireLease watches it that long, by its own clock:
// no clock agreement between machines is needed). A holder that is alive
// makes AcquireLease fail with an error wrapping ErrLeaseHeld that names
// it. Taking the lease is a compare-and-swap on stores that implement
// Conditional (FS with a lock file, S3 with conditional PUTs), so of two
// processes racing for it exactly one wins.
//
// On a store without Conditional the lease is best effort: written after a
// check, then read back after a moment to see that no one overwrote it.
func AcquireLease(ctx context.Context, s Store, key string, opt LeaseOptions) (*Lease, error) {
	if opt.TTL <= 0 {
		opt.TTL = DefaultLeaseTTL
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	now := time.Now().UTC()
	l := &Lease{store: s, key: key, ttl: opt.TTL, onLost: opt.OnLost,
		info: LeaseInfo{Owner: hex.EncodeToString(tok[:]), Holder: opt.Holder, Host: thisHost, PID: os.Getpid(),
			PIDStart: selfStart(), AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(opt.TTL)}}
	l.cond, _ = s.(Conditional)
	if l.cond == nil {
		l.cond = &bestEffort{s: s}
	}
	var (
		seenVersion string
		seenAt      time.Time
		localSince  time.Time
	)
	for {
		data, ver, err := l.cond.ReadVersion(ctx, key)
		free := false
		var cur LeaseInfo
		switch {
		case errors.Is(err, ErrNotExist):
			ver, free = "", true
		case err != nil:
			return nil, fmt.Errorf("acquiring the lease %q: %w", s.URI(key), err)
		case json.Unmarshal(data, &cur) != nil || cur.Owner == "":
			free = true // unreadable: whoever wrote it does not speak this protocol
		case cur.Released || cur.deadLocally():
			free = true
		case time.Now().After(cur.ExpiresAt.Add(cur.ExpiresAt.Sub(cur.RenewedAt))):
			free = true // expired a TTL ago, even allowing for clock differences
		case seenVersion == ver && time.Since(seenAt) > cur.ExpiresAt.Sub(cur.RenewedAt):
			free = true // not renewed for its whole TTL: its holder is gone
		}
		if free {
			if err := l.write(ctx, ver); err == nil {
				l.start()
				return l, nil
			} else if !errors.Is(err, ErrPrecondition) {
				return nil, fmt.Errorf("acquiring the lease %q: %w", s.URI(key), err)
			}
			continue // someone else changed it first: look again
		}
		held := func(why string) error {
			return fmt.Errorf("%w: %s holds the lease %s%s; wait for it to finish or stop it (a lease of a killed process is free once its pid is gone on host %s, or after %s elsewhere)",
				ErrLeaseHeld, cur.String(), s.URI(key), why, cur.Host, cur.ExpiresAt.Sub(cur.RenewedAt))
		}
		local := cur.Host == thisHost
		switch {
		case seenVersion != "" && ver != seenVersion && !local:
			return nil, held(" and keeps renewing it")
		case local && localSince.IsZero():
			localSince = time.Now()
		case local && time.Since(localSince) > localDeathWait:
			return nil, held("")
		}
		if ver != seenVersion {
			seenVersion, seenAt = ver, time.Now()
		}
		poll := min(time.Second, opt.TTL/10)
		if local {
			poll = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("acquiring the lease %q (held by %s): %w", s.URI(key), cur.String(), ctx.Err())
		case <-time.After(poll):
		}
	}
}

// write stores l.info if the lease is still at version ifVersion.
func (l *Lease) write(ctx context.Context, ifVersion string) error {
	l.mu.Lock()
	b, err := json.MarshalIndent(l.info, "", "  ")
	l.mu.Unlock()
	if err != nil {
		return err
	}
	ver, err := l.cond.WriteIf(ctx, l.key, append(b, '\n'), ifVersion)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.version = ver
	l.mu.Unlock()
	return nil
}

// Owner is the random token of this holder (see NewOutputOwned).
func (l *Lease) Owner() string { return l.info.Owner }

// URI is the URI of the lease object.
func (l *Lease) URI() string { return l.store.URI(l.key) }

func (l *Lease) start() {
	l.stop = make(chan struct{})
	l.stopped = make(chan struct{})
	go l.renew()
}

func (l *Lease) renew() {
	defer close(l.stopped)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		l.mu.Lock()
		prev := l.info
		ver := l.version
		now := time.Now().UTC()
		l.info.RenewedAt, l.info.ExpiresAt = now, now.Add(l.ttl)
		l.mu.Unlock()
		err := l.write(ctx, ver)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, ErrPrecondition) && l.adopt():
			// A write that timed out here had landed: still ours.
		case errors.Is(err, ErrPrecondition):
			l.setLost(l.describeLoss(prev))
			return
		default:
			l.mu.Lock()
			l.info = prev // not renewed: keep what the store has
			expired := time.Now().After(prev.ExpiresAt)
			l.mu.Unlock()
			if expired {
				l.setLost(fmt.Errorf("%w: could not renew the lease %s before it expired: %v", ErrLeaseHeld, l.URI(), err))
				return
			}
		}
	}
}

// adopt reports whether the lease object, at a version this process does
// not know, is still this holder's (its Owner token is known to no one
// else): a renewal that timed out on the client but landed in the store,
// or one that landed while Check was reading. It then records that
// version.
func (l *Lease) adopt() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	data, ver, err := l.cond.ReadVersion(ctx, l.key)
	if err != nil {
		return false
	}
	var cur LeaseInfo
	if json.Unmarshal(data, &cur) != nil || cur.Owner != l.info.Owner || cur.Released {
		return false
	}
	l.mu.Lock()
	l.version = ver
	l.mu.Unlock()
	return true
}

func (l *Lease) describeLoss(prev LeaseInfo) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if data, _, err := l.cond.ReadVersion(ctx, l.key); err == nil {
		var cur LeaseInfo
		if json.Unmarshal(data, &cur) == nil && cur.Owner != "" && cur.Owner != prev.Owner {
			return fmt.Errorf("%w: lost the lease %s to %s (this process did not renew it in time)", ErrLeaseHeld, l.URI(), cur.String())
		}
	}
	return fmt.Errorf("%w: lost the lease %s: it was changed or removed by another process", ErrLeaseHeld, l.URI())
}

func (l *Lease) setLost(err error) {
	l.mu.Lock()
	if l.lost != nil {
		l.mu.Unlock()
		return
	}
	l.lost = err
	f := l.onLost
	l.mu.Unlock()
	if f != nil {
		f(err)
	}
}

// Check verifies that this process still holds the lease: not lost, and
// the lease object is still the version it wrote last. Call it right before
// publishing what the lease protects.
func (l *Lease) Check(ctx context.Context) error {
	l.mu.Lock()
	lost, ver := l.lost, l.version
	l.mu.Unlock()
	if lost != nil {
		return lost
	}
	_, cur, err := l.cond.ReadVersion(ctx, l.key)
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			err = fmt.Errorf("%w: the lease %s was removed by another process", ErrLeaseHeld, l.URI())
			l.setLost(err)
			return err
		}
		return fmt.Errorf("checking the lease %s: %w", l.URI(), err)
	}
	if cur != ver && !l.adopt() {
		l.mu.Lock()
		prev := l.info
		l.mu.Unlock()
		err := l.describeLoss(prev)
		l.setLost(err)
		return err
	}
	return nil
}

// Release stops the renewals and marks the lease released (the object
// stays, as a record of the last writer), unless it was lost. It is safe
// to call more than once.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	l.mu.Unlock()
	close(l.stop)
	<-l.stopped
	l.mu.Lock()
	lost, ver := l.lost, l.version
	l.info.Released = true
	l.info.RenewedAt = time.Now().UTC()
	l.mu.Unlock()
	if lost != nil {
		return nil // someone else holds it now: leave it
	}
	if err := l.write(ctx, ver); err != nil && !errors.Is(err, ErrPrecondition) {
		return fmt.Errorf("releasing the lease %s: %w", l.URI(), err)
	}
	return nil
}

// ReadLease reads the lease object at key; ok is false when there is none.
func ReadLease(ctx context.Context, s Store, key string) (info LeaseInfo, ok bool, err error) {
	// A lease is rewritten every renewal: read it in one request where the
	// store can (a streamed S3 read that needs a second request fails its
	// ETag precondition when a renewal lands in between).
	if c, isC := s.(Conditional); isC {
		b, _, err := c.ReadVersion(ctx, key)
		if errors.Is(err, ErrNotExist) {
			return LeaseInfo{}, false, nil
		}
		if err != nil {
			return LeaseInfo{}, false, err
		}
		if err := json.Unmarshal(b, &info); err != nil {
			return LeaseInfo{}, false, fmt.Errorf("decoding lease %q: %w", s.URI(key), err)
		}
		return info, true, nil
	}
	r, err := s.Open(ctx, key)
	if errors.Is(err, ErrNotExist) {
		return LeaseInfo{}, false, nil
	}
	if err != nil {
		return LeaseInfo{}, false, err
	}
	defer r.Close()
	if err := json.NewDecoder(r).Decode(&info); err != nil {
		return LeaseInfo{}, false, fmt.Errorf("decoding lease %q: %w", s.URI(key), err)
	}
	return info, true, nil
}

// Live reports whether the lease is held by a process that may still be
// writing: not released, not expired (with a TTL of grace for clock
// differences between machines) and, on this machine, its process exists.
func (i *LeaseInfo) Live(now time.Time) bool {
	if i.Released || i.Owner == "" || i.deadLocally() {
		return false
	}
	return now.Before(i.ExpiresAt.Add(i.ExpiresAt.Sub(i.RenewedAt)))
}

// bestEffort is Conditional for a store without it: check, write, then read
// back after a moment; exact only when racers are more than that apart.
type bestEffort struct{ s Store }

func (b *bestEffort) ReadVersion(ctx context.Context, key string) ([]byte, string, error) {
	r, err := b.s.Open(ctx, key)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	buf, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, "", err
	}
	return buf, contentVersion(buf), nil
}

func (b *bestEffort) WriteIf(ctx context.Context, key string, data []byte, ifVersion string) (string, error) {
	_, cur, err := b.ReadVersion(ctx, key)
	switch {
	case errors.Is(err, ErrNotExist):
		cur = ""
	case err != nil:
		return "", err
	}
	if cur != ifVersion {
		return "", fmt.Errorf("writing %q: %w", b.s.URI(key), ErrPrecondition)
	}
	if err := writeBytes(ctx, b.s, key, data); err != nil {
		return "", err
	}
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(200 * time.Millisecond):
	}
	if _, cur, err = b.ReadVersion(ctx, key); err != nil {
		return "", err
	}
	if cur != contentVersion(data) {
		return "", fmt.Errorf("writing %q: overwritten by another process: %w", b.s.URI(key), ErrPrecondition)
	}
	return cur, nil
}
