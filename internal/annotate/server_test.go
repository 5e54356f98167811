package annotate

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// client is a cookie-keeping HTTP client of a test server.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = c.c.Get(c.base + path)
	} else {
		resp, err = c.c.PostForm(c.base+path, form)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var formTask = regexp.MustCompile(`name="task" value="(\d+)"`)

// TestServerWithoutJS drives the pages with plain form posts, as a browser
// without JavaScript does.
func TestServerWithoutJS(t *testing.T) {
	s, _ := openStore(t)
	tasks := someTasks(3, 1)
	tasks[1].Text = `<script>alert(1)</script> see http://example.org/x`
	tasks[2].Prediction, tasks[2].PredConfidence = "OTHER", 0.8
	if _, err := s.AddTasks(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	h, err := NewServer(s, []string{"AI", "OTHER"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: srv.URL, c: &http.Client{Jar: jar}}

	// Without a name, the login form.
	if code, body := c.do("GET", "/", nil); code != 200 || !strings.Contains(body, `action="/login"`) {
		t.Fatalf("anonymous GET /: %d\n%s", code, body)
	}
	if code, body := c.do("POST", "/login", url.Values{"annotator": {"<bad>"}}); code != 400 || !strings.Contains(body, "not allowed") {
		t.Fatalf("bad name: %d\n%s", code, body)
	}
	code, body := c.do("POST", "/login", url.Values{"annotator": {"dana"}})
	if code != 200 || !strings.Contains(body, `data-tweet="1001"`) || !strings.Contains(body, `Weak label: <b id="weak">AI</b> (75%)`) {
		t.Fatalf("after login: %d\n%s", code, body)
	}
	first := formTask.FindStringSubmatch(body)[1]
	if code, body := c.do("POST", "/answer", url.Values{"task": {first}, "label": {"MAYBE"}}); code != 400 || !strings.Contains(body, `"MAYBE" is not one of AI, OTHER`) {
		t.Fatalf("unknown label: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/answer", url.Values{"task": {"999999"}, "label": {"AI"}}); code != http.StatusConflict {
		t.Fatalf("unassigned task: %d, want 409", code)
	}
	code, body = c.do("POST", "/answer", url.Values{"task": {first}, "label": {"AI"}})
	if code != 200 || !strings.Contains(body, `data-tweet="1002"`) {
		t.Fatalf("after answering: %d\n%s", code, body)
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		!strings.Contains(body, `<a href="http://example.org/x" target="_blank" rel="noopener noreferrer">`) {
		t.Errorf("tweet text not escaped and linkified:\n%s", body)
	}
	second := formTask.FindStringSubmatch(body)[1]
	if code, body = c.do("POST", "/answer", url.Values{"task": {second}, "skip": {"1"}}); code != 200 || !strings.Contains(body, `data-tweet="1003"`) ||
		!strings.Contains(body, `Model: <b id="prediction">OTHER</b> (80%)`) {
		t.Fatalf("after skipping: %d\n%s", code, body)
	}
	if code, body = c.do("POST", "/undo", nil); code != 200 || !strings.Contains(body, `data-tweet="1002"`) || !strings.Contains(body, `id="undone"`) {
		t.Fatalf("after undo: %d\n%s", code, body)
	}
	// The recent page changes the first answer.
	if code, body = c.do("POST", "/answer", url.Values{"task": {first}, "label": {"OTHER"}, "return": {"recent"}}); code != 200 ||
		!strings.Contains(body, `<td class="decision">OTHER</td>`) {
		t.Fatalf("change from the recent page: %d\n%s", code, body)
	}
	if code, body = c.do("GET", "/stats", nil); code != 200 || !strings.Contains(body, "<td>dana</td><td>1</td><td>0</td>") || !strings.Contains(body, `id="alpha">n/a`) {
		t.Fatalf("stats: %d\n%s", code, body)
	}
	// ?annotator= switches the name; dana holds the other tasks.
	if code, body = c.do("GET", "/?annotator=eve", nil); code != 200 || !strings.Contains(body, `id="who">eve<`) || !strings.Contains(body, `id="done"`) {
		t.Fatalf("?annotator=eve: %d\n%s", code, body)
	}
	// Once dana's reservations expire, eve gets the unanswered ones.
	s.SetAssignmentTTL(0)
	defer s.SetAssignmentTTL(DefaultAssignmentTTL)
	if code, body = c.do("GET", "/", nil); code != 200 || !strings.Contains(body, `data-tweet="1002"`) {
		t.Fatalf("eve after expiry: %d\n%s", code, body)
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("healthz: %v %v", resp, err)
	}
}

func TestCheckLabels(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"a", "b"}, ""},
		{[]string{"a"}, "want 2 to 9"},
		{[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, "want 2 to 9"},
		{[]string{"a", " "}, "label 2 is empty"},
		{[]string{"a", "a"}, `"a" given twice`},
	} {
		err := CheckLabels(tc.in)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckLabels(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestInOverlap(t *testing.T) {
	n := 0
	for i := range 10000 {
		id := strings.Repeat("9", i%7) + string(rune('0'+i%10)) + strings.Repeat("1", i/10%9) + string(rune('a'+i/100%26)) + string(rune('a'+i/2600))
		if InOverlap(id, 0.2, 7) {
			n++
		}
		if InOverlap(id, 0.2, 7) != InOverlap(id, 0.2, 7) {
			t.Fatal("not deterministic")
		}
	}
	if n < 1700 || n > 2300 {
		t.Errorf("%d of 10000 ids in a 20%% overlap", n)
	}
	if InOverlap("x", 0, 1) || !InOverlap("x", 1, 1) {
		t.Error("overlap 0 / 1")
	}
}
