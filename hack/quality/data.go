package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf16"
)

// tweet is one labeled tweet of the quality experiments.
type tweet struct {
	id, label, text string
}

// readSemEval reads SemEval-2017 task 4A files (id<TAB>label<TAB>text[<TAB>]),
// decoding \uXXXX escapes; rows whose id was seen are dropped.
func readSemEval(path string, seen map[string]bool) ([]tweet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %q: %w", path, err)
	}
	defer f.Close()
	var out []tweet
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		parts := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if len(parts) < 3 {
			// A quoted text spanning lines: the continuation belongs to the
			// previous row.
			if len(out) == 0 || seen[parts[0]] {
				return nil, fmt.Errorf("reading %q line %d: %d fields", path, line, len(parts))
			}
			last := &out[len(out)-1]
			last.text = strings.TrimSuffix(last.text+" "+unescape(parts[0]), `"`)
			continue
		}
		id := parts[0]
		if seen[id] {
			continue
		}
		seen[id] = true
		text := unescape(parts[2])
		if len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"' {
			text = strings.ReplaceAll(text[1:len(text)-1], `""`, `"`)
		} else if len(text) >= 1 && text[0] == '"' {
			text = text[1:]
		}
		out = append(out, tweet{id: id, label: parts[1], text: text})
	}
	return out, sc.Err()
}

// unescape decodes \uXXXX escapes, joining UTF-16 surrogate pairs.
func unescape(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var sb strings.Builder
	var units []uint16
	flush := func() {
		if len(units) > 0 {
			sb.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); {
		if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				units = append(units, uint16(v))
				i += 6
				continue
			}
		}
		flush()
		sb.WriteByte(s[i])
		i++
	}
	flush()
	return sb.String()
}

// readSentiment140 reads a Sentiment140 CSV (polarity 0 negative, 4 positive).
func readSentiment140(path string, seen map[string]bool) ([]tweet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %q: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 6
	r.LazyQuotes = true
	var out []tweet
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", path, err)
		}
		id := "s140:" + rec[1]
		if seen[id] {
			continue
		}
		seen[id] = true
		label := map[string]string{"0": "negative", "4": "positive", "2": "neutral"}[rec[0]]
		out = append(out, tweet{id: id, label: label, text: rec[5]})
	}
	return out, nil
}

// readNLTK reads an NLTK twitter_samples file (text<TAB>label).
func readNLTK(path string) ([]tweet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	var out []tweet
	for i, line := range strings.Split(strings.ReplaceAll(string(b), "\r", " "), "\n") {
		k := strings.LastIndexByte(line, '\t')
		if k < 0 {
			continue
		}
		out = append(out, tweet{id: fmt.Sprintf("nltk:%s:%d", filepath.Base(path), i), label: strings.TrimSpace(line[k+1:]), text: line[:k]})
	}
	return out, nil
}
