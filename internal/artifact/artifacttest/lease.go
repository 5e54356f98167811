package artifacttest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// RunLease runs the lease suite against the stores made by newStore (a
// fresh, empty store on each call): artifact.AcquireLease on the store's
// Conditional writes, and the staging areas owned by a lease.
func RunLease(t *testing.T, newStore func(t *testing.T) artifact.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st artifact.Store)
	}{
		{"Conditional", testConditional},
		{"SecondWriterFails", testLeaseSecondWriterFails},
		{"RaceHasOneWinner", testLeaseRace},
		{"DeadLocalHolder", testLeaseDeadLocalHolder},
		{"SilentRemoteHolder", testLeaseSilentRemoteHolder},
		{"RenewingRemoteHolder", testLeaseRenewingRemoteHolder},
		{"Renewal", testLeaseRenewal},
		{"Lost", testLeaseLost},
		{"StaleStaging", testStaleStaging},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

const leaseKey = "runs/r1/stage/_lease.json"

func acquire(t *testing.T, st artifact.Store, opt artifact.LeaseOptions) *artifact.Lease {
	t.Helper()
	l, err := artifact.AcquireLease(context.Background(), st, leaseKey, opt)
	if err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
	return l
}

func testConditional(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	c, ok := st.(artifact.Conditional)
	if !ok {
		t.Fatalf("%T does not implement artifact.Conditional", st)
	}
	if _, _, err := c.ReadVersion(ctx, "k"); !errors.Is(err, artifact.ErrNotExist) {
		t.Fatalf("ReadVersion(missing) error = %v, want ErrNotExist", err)
	}
	if _, err := c.WriteIf(ctx, "k", []byte("x"), "some-version"); !errors.Is(err, artifact.ErrPrecondition) {
		t.Errorf("WriteIf(missing, with a version) error = %v, want ErrPrecondition", err)
	}
	v1, err := c.WriteIf(ctx, "k", []byte("one"), "")
	if err != nil {
		t.Fatalf("WriteIf(create): %v", err)
	}
	if _, err := c.WriteIf(ctx, "k", []byte("two"), ""); !errors.Is(err, artifact.ErrPrecondition) {
		t.Errorf("WriteIf(create) of an existing key: error = %v, want ErrPrecondition", err)
	}
	b, v, err := c.ReadVersion(ctx, "k")
	if err != nil || string(b) != "one" || v != v1 {
		t.Fatalf("ReadVersion = %q, %q, %v; want \"one\", %q", b, v, err, v1)
	}
	v2, err := c.WriteIf(ctx, "k", []byte("two"), v1)
	if err != nil {
		t.Fatalf("WriteIf(replace, current version): %v", err)
	}
	if _, err := c.WriteIf(ctx, "k", []byte("three"), v1); !errors.Is(err, artifact.ErrPrecondition) {
		t.Errorf("WriteIf with a stale version: error = %v, want ErrPrecondition", err)
	}
	if b, v, _ := c.ReadVersion(ctx, "k"); string(b) != "two" || v != v2 {
		t.Errorf("after a refused write: %q %q, want \"two\" %q", b, v, v2)
	}
	// Of concurrent creators exactly one wins.
	var wins, refused int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.WriteIf(ctx, "race", []byte{byte('a' + i)}, "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, artifact.ErrPrecondition):
				refused++
			default:
				t.Errorf("WriteIf: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || refused != 7 {
		t.Errorf("8 concurrent creates: %d won, %d refused; want 1 and 7", wins, refused)
	}
}

func testLeaseSecondWriterFails(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	first := acquire(t, st, artifact.LeaseOptions{Holder: "train"})
	start := time.Now()
	_, err := artifact.AcquireLease(ctx, st, leaseKey, artifact.LeaseOptions{Holder: "train"})
	if !errors.Is(err, artifact.ErrLeaseHeld) {
		t.Fatalf("second AcquireLease: error = %v, want ErrLeaseHeld", err)
	}
	// The message names the holder and the lease.
	for _, want := range []string{"train", "pid " + itoa(os.Getpid()), st.URI(leaseKey)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the second writer took %s to fail", d)
	}
	if err := first.Check(ctx); err != nil {
		t.Errorf("the holder lost its lease to a failed writer: %v", err)
	}
	// Once released, the lease is free; the record says so.
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	info, ok, err := artifact.ReadLease(ctx, st, leaseKey)
	if err != nil || !ok || !info.Released || info.Owner != first.Owner() {
		t.Errorf("released lease = %+v, %v, %v", info, ok, err)
	}
	second := acquire(t, st, artifact.LeaseOptions{Holder: "train"})
	if second.Owner() == first.Owner() {
		t.Error("two leases with one owner token")
	}
}

func testLeaseRace(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	var mu sync.Mutex
	var won []*artifact.Lease
	held := 0
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := artifact.AcquireLease(ctx, st, leaseKey, artifact.LeaseOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, l)
			case errors.Is(err, artifact.ErrLeaseHeld):
				held++
			default:
				t.Errorf("AcquireLease: %v", err)
			}
		}()
	}
	wg.Wait()
	for _, l := range won {
		l.Release(ctx)
	}
	if len(won) != 1 || held != 3 {
		t.Errorf("4 racing writers: %d got the lease, %d were refused; want 1 and 3", len(won), held)
	}
}

// putLease writes a lease record as another process would have.
func putLease(t *testing.T, st artifact.Store, info artifact.LeaseInfo) {
	t.Helper()
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	put(t, st, leaseKey, b)
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testLeaseDeadLocalHolder(t *testing.T, st artifact.Store) {
	// A process of this machine that has exited (killed with its executor).
	cmd := exec.Command("sleep", "0")
	if err := cmd.Run(); err != nil {
		t.Skip("no sleep command:", err)
	}
	now := time.Now().UTC()
	putLease(t, st, artifact.LeaseInfo{Owner: "deadbeef", Holder: "train", Host: hostname(t), PID: cmd.Process.Pid,
		AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(time.Hour)})
	start := time.Now()
	l := acquire(t, st, artifact.LeaseOptions{})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("taking over the lease of a dead local process took %s", d)
	}
	if err := l.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

func testLeaseSilentRemoteHolder(t *testing.T, st artifact.Store) {
	now := time.Now().UTC()
	ttl := time.Second
	putLease(t, st, artifact.LeaseInfo{Owner: "cafe", Holder: "train", Host: "another-host.invalid", PID: 1,
		AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(ttl)})
	start := time.Now()
	l := acquire(t, st, artifact.LeaseOptions{TTL: ttl})
	// Its holder elsewhere may be alive: wait its whole TTL for a renewal first.
	if d := time.Since(start); d < ttl {
		t.Errorf("took over a remote lease after %s, before its TTL of %s", d, ttl)
	}
	if err := l.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

func testLeaseRenewingRemoteHolder(t *testing.T, st artifact.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	write := func() {
		now := time.Now().UTC()
		putLease(t, st, artifact.LeaseInfo{Owner: "cafe", Holder: "train", Host: "another-host.invalid", PID: 1,
			AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(2 * time.Second)})
	}
	write()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(300 * time.Millisecond):
				write()
			}
		}
	}()
	_, err := artifact.AcquireLease(ctx, st, leaseKey, artifact.LeaseOptions{TTL: 2 * time.Second})
	if !errors.Is(err, artifact.ErrLeaseHeld) || !strings.Contains(err.Error(), "another-host.invalid") {
		t.Errorf("AcquireLease of a lease a remote holder renews: error = %v, want ErrLeaseHeld naming the host", err)
	}
}

func testLeaseRenewal(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	l := acquire(t, st, artifact.LeaseOptions{TTL: 600 * time.Millisecond})
	before, _, _ := artifact.ReadLease(ctx, st, leaseKey)
	time.Sleep(time.Second)
	after, _, err := artifact.ReadLease(ctx, st, leaseKey)
	if err != nil || !after.RenewedAt.After(before.RenewedAt) || !after.ExpiresAt.After(before.ExpiresAt) {
		t.Errorf("lease not renewed: before %+v, after %+v (%v)", before, after, err)
	}
	if err := l.Check(ctx); err != nil {
		t.Errorf("Check after renewals: %v", err)
	}
}

func testLeaseLost(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	lost := make(chan error, 1)
	l := acquire(t, st, artifact.LeaseOptions{TTL: 600 * time.Millisecond, OnLost: func(err error) { lost <- err }})
	// Another process took it over (as after a stall past the TTL).
	now := time.Now().UTC()
	putLease(t, st, artifact.LeaseInfo{Owner: "cafe", Holder: "train", Host: "another-host.invalid", PID: 7,
		AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(time.Hour)})
	err := l.Check(ctx)
	if !errors.Is(err, artifact.ErrLeaseHeld) || !strings.Contains(err.Error(), "another-host.invalid") {
		t.Errorf("Check after a takeover: error = %v, want ErrLeaseHeld naming the new holder", err)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, artifact.ErrLeaseHeld) {
			t.Errorf("OnLost(%v)", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("OnLost not called")
	}
	// Release leaves the new holder's lease alone.
	if err := l.Release(ctx); err != nil {
		t.Error(err)
	}
	if info, _, _ := artifact.ReadLease(ctx, st, leaseKey); info.Owner != "cafe" || info.Released {
		t.Errorf("after the loser's Release the lease is %+v", info)
	}
}

func testStaleStaging(t *testing.T, st artifact.Store) {
	ctx := context.Background()
	commit(t, st, prefix, map[string]string{"a": "v1"})
	stageOwned := func(owner string) {
		o := artifact.NewOutputOwned(st, prefix, owner)
		if err := o.WriteFile(ctx, "part-0", strings.NewReader("killed by "+owner)); err != nil {
			t.Fatal(err)
		}
	}
	stageOwned("dead")
	stageOwned("live")
	stage(t, st, prefix, map[string]string{"x": "no owner, recent"})
	areas, err := artifact.StagingAreas(ctx, st, prefix)
	if err != nil || len(areas) != 3 {
		t.Fatalf("StagingAreas = %q, %v; want 3", areas, err)
	}
	n, err := artifact.PruneStaleStaging(ctx, st, prefix, time.Now().Add(-time.Hour), "live")
	if err != nil || n != 1 {
		t.Errorf("PruneStaleStaging = %d, %v; want 1 (the dead owner's file), nil", n, err)
	}
	areas, _ = artifact.StagingAreas(ctx, st, prefix)
	if len(areas) != 2 || strings.HasSuffix(areas[0], "-dead/") || strings.HasSuffix(areas[1], "-dead/") {
		t.Errorf("left %q, want the live owner's and the unowned area", areas)
	}
	// With no live owner and a cutoff after it started, everything goes.
	n, err = artifact.PruneStaleStaging(ctx, st, prefix, time.Now().Add(time.Minute), "")
	if err != nil || n != 2 {
		t.Errorf("PruneStaleStaging(no live owner, now) = %d, %v; want 2", n, err)
	}
	wantObjects(t, st, prefix, "a", artifact.ManifestName)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
