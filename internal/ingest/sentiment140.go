package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// sentiment140 reads `"polarity","id","date","query","user","text"` lines.
// One record per line: the files quote every field, and none has a line
// break inside a field, so a line-based parser gives exact line numbers and
// a broken quote can never swallow the rest of the file.
func (p *parser) sentiment140(lr *lineReader) error {
	var fields [6]string
	for {
		raw, line, done, err := p.nextLine(lr)
		if done || err != nil {
			return err
		}
		b, _ := toUTF8(raw, p.scratch)
		if cap(b) > cap(p.scratch) {
			p.scratch = b[:0]
		}
		s := string(b)
		if !p.sawRow && isS140Header([]byte(s)) {
			p.sawRow = true
			continue // a header line such as polarity,id,date,query,user,text
		}
		p.sawRow = true
		n, reason := splitCSV(s, fields[:])
		if reason != "" {
			if err := p.badRow(line, "%s", reason); err != nil {
				return err
			}
			continue
		}
		if n != len(fields) {
			if err := p.badRow(line, "wrong field count: %d fields, want 6 (polarity,id,date,query,user,text)", n); err != nil {
				return err
			}
			continue
		}
		label, ok := p.lm.Map(fields[0])
		switch {
		case !ok:
			err = p.badRow(line, "%s", p.lm.unknown(fields[0]))
		case !isDigits([]byte(fields[1])):
			err = p.badRow(line, "bad id %q: want digits", fields[1])
		case strings.TrimSpace(fields[5]) == "":
			err = p.badRow(line, "empty text")
		default:
			created, derr := parseTwitterDate(fields[2])
			if derr != nil {
				err = p.badRow(line, "%v", derr)
				break
			}
			p.t = dataset.Tweet{ID: fields[1], CreatedAt: created, User: fields[4], Text: fields[5], Label: label, Source: p.source(line)}
			err = p.emit(&p.t)
		}
		if err != nil {
			return err
		}
	}
}

// isS140Header reports whether line is a header of the Sentiment140
// layout: six comma-separated names (quoted or not), the third "date", the
// fourth "query" or "flag" and the sixth "text", as in
// polarity,id,date,query,user,text or Kaggle's target,ids,date,flag,user,text.
func isS140Header(line []byte) bool {
	var f [6]string
	n, reason := splitCSV(strings.TrimSpace(string(line)), f[:])
	if reason != "" || n != len(f) {
		return false
	}
	for i := range f {
		f[i] = strings.ToLower(strings.TrimSpace(f[i]))
		if isDigits([]byte(f[i])) {
			return false
		}
	}
	return f[2] == "date" && (f[3] == "query" || f[3] == "flag") && f[5] == "text"
}

// splitCSV splits one CSV line into at most len(out) fields, returning the
// count. Quoted fields may contain commas and doubled quotes. The last
// field is lenient: a quoted text with a stray inner quote is taken up to
// the final quote of the line. A returned reason means the line is broken.
func splitCSV(s string, out []string) (int, string) {
	n := 0
	for pos := 0; ; n++ {
		last := n == len(out)-1
		if n == len(out) {
			return n + 1 + strings.Count(s[pos:], ","), "" // too many fields; counted roughly
		}
		if pos < len(s) && s[pos] == '"' {
			val, end, ok := quotedField(s, pos)
			if !ok || (end < len(s) && s[end] != ',') {
				if last && len(s)-pos >= 2 && s[len(s)-1] == '"' {
					out[n] = unescapeQuotes(s[pos+1 : len(s)-1])
					return n + 1, ""
				}
				if !ok {
					return 0, fmt.Sprintf("unterminated quoted field %d", n+1)
				}
				return 0, fmt.Sprintf("text after the closing quote of field %d", n+1)
			}
			out[n] = val
			if end >= len(s) {
				return n + 1, ""
			}
			pos = end + 1
			continue
		}
		i := strings.IndexByte(s[pos:], ',')
		if i < 0 {
			out[n] = s[pos:]
			return n + 1, ""
		}
		out[n] = s[pos : pos+i]
		pos += i + 1
	}
}

// quotedField parses the quoted field starting at s[pos] == '"'; end is the
// index just past the closing quote.
func quotedField(s string, pos int) (val string, end int, ok bool) {
	doubled := false
	for i := pos + 1; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			doubled = true
			i++
			continue
		}
		val = s[pos+1 : i]
		if doubled {
			val = strings.ReplaceAll(val, `""`, `"`)
		}
		return val, i + 1, true
	}
	return "", len(s), false
}

func unescapeQuotes(s string) string {
	if strings.Contains(s, `""`) {
		return strings.ReplaceAll(s, `""`, `"`)
	}
	return s
}

// s140Zones are the time zone abbreviations accepted in Sentiment140 dates.
var s140Zones = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0,
	"PDT": -7, "PST": -8, "MDT": -6, "MST": -7, "CDT": -5, "CST": -6, "EDT": -4, "EST": -5,
}

var months = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// parseTwitterDate parses the classic Twitter date "Mon Apr 06 22:19:45
// PDT 2009" (a zone abbreviation of s140Zones or a numeric offset like
// +0000) to UTC. An empty date gives the zero time.
func parseTwitterDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	var f [6]string
	n := 0
	for _, part := range strings.Fields(s) {
		if n == 6 {
			n++
			break
		}
		f[n] = part
		n++
	}
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("bad date %q: %s (want like \"Mon Apr 06 22:19:45 PDT 2009\")", s, why)
	}
	if n != 6 {
		return bad("wrong number of parts")
	}
	mon, ok := months[f[1]]
	if !ok {
		return bad("unknown month")
	}
	day, ok1 := atoi(f[2])
	year, ok2 := atoi(f[5])
	hh, mm, ss := -1, -1, -1
	if len(f[3]) == 8 && f[3][2] == ':' && f[3][5] == ':' {
		hh, _ = atoi(f[3][0:2])
		mm, _ = atoi(f[3][3:5])
		ss, _ = atoi(f[3][6:8])
	}
	if !ok1 || !ok2 || day < 1 || day > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
		return bad("bad number")
	}
	var off time.Duration
	if h, ok := s140Zones[f[4]]; ok {
		off = time.Duration(h) * time.Hour
	} else if z := f[4]; len(z) == 5 && (z[0] == '+' || z[0] == '-') {
		zh, ok1 := atoi(z[1:3])
		zm, ok2 := atoi(z[3:5])
		if !ok1 || !ok2 || zh > 14 || zm > 59 {
			return bad("bad offset " + z)
		}
		off = time.Duration(zh)*time.Hour + time.Duration(zm)*time.Minute
		if z[0] == '-' {
			off = -off
		}
	} else {
		return bad("unknown time zone " + f[4])
	}
	local := time.Date(year, mon, day, hh, mm, ss, 0, time.UTC)
	if local.Day() != day {
		return bad("day out of range")
	}
	return local.Add(-off), nil
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
