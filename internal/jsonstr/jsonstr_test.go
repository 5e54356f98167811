package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// reference decodes the string b starts (after its opening quote) with
// encoding/json: the decoded text, the bytes used and whether it is valid.
func reference(b []byte) (string, int, bool) {
	dec := json.NewDecoder(bytes.NewReader(append([]byte{'"'}, b...)))
	var s string
	if err := dec.Decode(&s); err != nil {
		return "", 0, false
	}
	return s, int(dec.InputOffset()) - 1, true
}

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		n    int
		ok   bool
	}{
		{in: `plain" rest`, want: "plain", n: 6, ok: true},
		{in: `"`, want: "", n: 1, ok: true},
		{in: `a\"b\\c\/d\be\ff\ng\rh\ti"`, want: "a\"b\\c/d\be\ff\ng\rh\ti", n: 26, ok: true},
		{in: `\u00e9t\u00C9"`, want: "\u00e9t\u00c9", n: 14, ok: true},
		{in: `\ud83d\ude00!"`, want: "😀!", n: 14, ok: true},
		{in: `\ud83d"`, want: "\ufffd", n: 7, ok: true},
		{in: `\ud83dx"`, want: "\ufffdx", n: 8, ok: true},
		{in: `\ud83d\u0041"`, want: "\ufffdA", n: 13, ok: true},
		{in: `\ude00\ud83d\ude00"`, want: "\ufffd😀", n: 19, ok: true},
		{in: `no end`, ok: false},
		{in: `bad \x escape"`, ok: false},
		{in: `short \u12"`, ok: false},
		{in: `\ud83d\u12"`, ok: false},
		{in: "tab\tinside\"", ok: false},
		{in: `trailing \`, ok: false},
	} {
		out, n, ok := Append([]byte("pre:"), []byte(tc.in))
		if ok != tc.ok || (ok && (string(out) != "pre:"+tc.want || n != tc.n)) {
			t.Errorf("Append(%q) = %q, %d, %v; want %q, %d, %v", tc.in, out, n, ok, "pre:"+tc.want, tc.n, tc.ok)
		}
		if sn, _, sok := Scan([]byte(tc.in)); sok != tc.ok || (sok && sn != tc.n) {
			t.Errorf("Scan(%q) = %d, %v; want %d, %v", tc.in, sn, sok, tc.n, tc.ok)
		}
		// The table agrees with encoding/json.
		if s, rn, rok := reference([]byte(tc.in)); rok != tc.ok || (rok && (s != tc.want || rn != tc.n)) {
			t.Errorf("encoding/json on %q: %q, %d, %v", tc.in, s, rn, rok)
		}
	}
}

// FuzzAppend: Append accepts exactly the strings encoding/json accepts,
// stops where it stops and decodes valid UTF-8 to the same text.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{`plain"`, `a\"b\\c\/\b\f\n\r\t"`, `\ud83d\ude00"x`, `\ud83d"`, `\ude00\ud83d\u0041"`,
		`\u12`, "ctl\x01\"", `é"`, `\`, `""`, "\xff\"", `\ud800\udc00\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, n, ok := Append(nil, b)
		sn, escaped, sok := Scan(b)
		if sok != ok || sn != n || (ok && escaped != (bytes.IndexByte(b[:n], '\\') >= 0)) {
			t.Fatalf("Scan(%q) = %d, %v, %v; Append used %d, %v", b, sn, escaped, sok, n, ok)
		}
		s, rn, rok := reference(b)
		if ok != rok {
			t.Fatalf("Append(%q) ok=%v, encoding/json ok=%v", b, ok, rok)
		}
		if !ok {
			return
		}
		if n != rn {
			t.Fatalf("Append(%q) used %d bytes, encoding/json %d", b, n, rn)
		}
		if utf8.Valid(b[:n]) && string(out) != s {
			t.Fatalf("Append(%q) = %q, encoding/json %q", b, out, s)
		}
	})
}
