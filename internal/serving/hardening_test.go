package serving

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

// realServer serves srv through an http.Server with the serve component's
// timeouts (shortened), the settings the 408 and 413 answers depend on.
func realServer(t *testing.T, srv http.Handler, readTimeout time.Duration) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ReadTimeout = readTimeout
	ts.Config.ReadHeaderTimeout = readTimeout
	ts.Config.WriteTimeout = 30 * time.Second
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL
}

// A body that does not arrive within the read timeout gets 408, not 400
// (issue 11, defect 9).
func TestSlowBodyGets408(t *testing.T) {
	f := newFixture(t)
	base := realServer(t, f.srv, 300*time.Millisecond)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":")
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "in time") {
		t.Errorf("slow body: %d %s, want 408", resp.StatusCode, b)
	}
}

// A 10 MB body gets a 413 the client can read, with or without a
// Content-Length, instead of a connection reset (issue 11, defect 9).
func TestOversizeBodyGets413(t *testing.T) {
	f := newFixture(t)
	base := realServer(t, f.srv, 10*time.Second)
	body := bytes.Repeat([]byte("a"), 10<<20)
	for _, chunked := range []bool{false, true} {
		for i := 0; i < 3; i++ {
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = io.MultiReader(r) // hides the length: chunked encoding
			}
			resp, err := http.Post(base+"/predict", "application/json", r)
			if err != nil {
				t.Fatalf("chunked=%v: %v (want a 413 answer)", chunked, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "larger than") {
				t.Errorf("chunked=%v: %d %s, want 413", chunked, resp.StatusCode, b)
			}
		}
	}
	// A client that writes the whole body before reading (curl, most
	// scripts) reads the answer too.
	for i := 0; i < 5; i++ {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(conn, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		_, werr := conn.Write(body)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Fatalf("raw client: no answer after writing the body (write error %v): %v", werr, err)
		}
		b, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("raw client: %d %s, want 413", resp.StatusCode, b)
		}
	}
	// The server still answers normally.
	if code, _ := post(t, base+"/predict", `{"text":"fine"}`); code != 200 {
		t.Errorf("after the large bodies: %d", code)
	}
}

// POST /admin/reload needs the token when one is set, and is closed when
// disabled (issue 11, defect 9).
func TestAdminReloadAuth(t *testing.T) {
	f := newFixture(t, WithAdminToken("s3cret"))
	reload := func(base, auth string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/admin/reload", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "s3cret": 401, "Basic s3cret": 401, "Bearer s3cret": 200} {
		if got := reload(f.ts.URL, auth); got != want {
			t.Errorf("token %q: %d, want %d", auth, got, want)
		}
	}
	off := newFixture(t, WithAdminDisabled())
	if got := reload(off.ts.URL, "Bearer s3cret"); got != 403 {
		t.Errorf("disabled: %d, want 403", got)
	}
	open := newFixture(t)
	if got := reload(open.ts.URL, ""); got != 200 {
		t.Errorf("no token: %d, want 200", got)
	}
}

// A local folder with a staging area (a commit that did not finish) is
// refused; a plain folder loads (issue 11, defect 9: readers trust only
// committed outputs).
func TestLoadRefusesHalfCommittedFolder(t *testing.T) {
	tm, err := servingtest.Random(servingtest.Options{Version: "v3"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := tm.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), dir); err != nil {
		t.Fatalf("plain folder: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "_staging", "20260101T000000-abcd"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "commit did not finish") || !strings.Contains(err.Error(), "_SUCCESS.json") {
		t.Fatalf("folder with _staging: %v, want a not-committed error", err)
	}
	// Committed, the same folder loads (the staging area is ignored).
	if err := writeCommitted(dir, tm.Files); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), dir); err != nil {
		t.Fatalf("committed folder: %v", err)
	}
}
