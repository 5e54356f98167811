package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// jsonTweet is a tweet object, or the {"data": {...}} envelope around
// one: the plain form (id, text, created_at, author_id, label), a Twitter
// API v1.1 object as the streaming API delivers it (id_str, text or
// full_text, extended_tweet, retweeted_status, entities, user) or a v2
// response for one tweet (data, includes). Only the fields tweetflow uses
// are decoded.
type jsonTweet struct {
	Data      *jsonTweet      `json:"data"`
	ID        json.RawMessage `json:"id"` // a string (v2) or a number
	Text      *string         `json:"text"`
	CreatedAt string          `json:"created_at"`
	AuthorID  string          `json:"author_id"`
	Lang      string          `json:"lang"` // accepted, not stored
	Label     json.RawMessage `json:"label"`
	Sentiment json.RawMessage `json:"sentiment"`

	// Twitter API fields. The fast scanner declines any line with one of
	// them (see apiKeys), so only this path decodes them.
	IDStr      string          `json:"id_str"`            // v1.1
	FullText   *string         `json:"full_text"`         // v1.1 REST, tweet_mode=extended
	Extended   *jsonExtended   `json:"extended_tweet"`    // v1.1 stream, over 140 characters
	NoteTweet  *jsonExtended   `json:"note_tweet"`        // v2, over 280 characters
	Retweeted  *jsonTweet      `json:"retweeted_status"`  // v1.1
	Entities   *jsonEntities   `json:"entities"`          // v1.1 and v2
	User       json.RawMessage `json:"user"`              // v1.1 user object, or a plain name
	References []jsonRef       `json:"referenced_tweets"` // v2
	Includes   *jsonIncludes   `json:"includes"`          // v2 expansions
}

type jsonExtended struct {
	FullText *string      `json:"full_text"` // extended_tweet
	Text     *string      `json:"text"`      // note_tweet
	Entities jsonEntities `json:"entities"`
}

type jsonEntities struct {
	URLs []struct {
		URL         string `json:"url"`
		ExpandedURL string `json:"expanded_url"`
	} `json:"urls"`
}

type jsonRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type jsonIncludes struct {
	Users []struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"users"`
	Tweets []jsonTweet `json:"tweets"`
}

// jsonl reads one tweet object per line. The label comes from "label" or
// else "sentiment" (a string or a number), on the tweet or on the
// envelope; a row without either is unlabeled (Label ""). created_at is
// RFC 3339; the user is author_id.
func (p *parser) jsonl(lr *lineReader) error {
	for {
		raw, line, done, err := p.nextLine(lr)
		if done || err != nil {
			return err
		}
		if err := p.jsonRow(line, raw); err != nil {
			return err
		}
	}
}

// jsonRow handles one line: by the fast scanner when it can (see
// jsonfast.go), else through encoding/json.
func (p *parser) jsonRow(line int, raw []byte) error {
	if !p.stdJSON {
		if handled, err := p.jsonRowFast(line, raw); handled {
			return err
		}
	}
	return p.jsonRowStd(line, raw)
}

// jsonRowStd decodes one line with encoding/json; it is the reference
// behaviour, and the only path for lines the fast scanner declines.
func (p *parser) jsonRowStd(line int, raw []byte) error {
	if !utf8.Valid(raw) {
		return p.badRow(line, "invalid UTF-8")
	}
	var env jsonTweet
	if err := json.Unmarshal(raw, &env); err != nil {
		return p.badRow(line, "bad JSON: %v", err)
	}
	tw := &env
	if env.Data != nil {
		tw = env.Data
	}
	var id string
	var err error
	if tw.IDStr != "" && isDigits([]byte(tw.IDStr)) {
		id = tw.IDStr
	} else if id, err = jsonID(tw.ID); err != nil {
		return p.badRow(line, "%v", err)
	}
	text, urls, user, err := env.apiText(tw)
	if err != nil {
		return p.badRow(line, "%v", err)
	}
	if strings.TrimSpace(text) == "" {
		return p.badRow(line, "missing or empty \"text\"")
	}
	created, err := parseJSONTime(tw.CreatedAt)
	if err != nil {
		return p.badRow(line, "%v", err)
	}
	rawLabel := ""
	for _, l := range []json.RawMessage{tw.Label, tw.Sentiment, env.Label, env.Sentiment} {
		if len(l) > 0 && string(l) != "null" {
			if rawLabel, err = jsonScalar(l); err != nil {
				return p.badRow(line, "bad label %s: want a string or a number", l)
			}
			break
		}
	}
	label := ""
	if rawLabel != "" {
		var ok bool
		if label, ok = p.lm.Map(rawLabel); !ok {
			return p.badRow(line, "%s", p.lm.unknown(rawLabel))
		}
	}
	p.t = dataset.Tweet{ID: id, CreatedAt: created, User: user, Text: text, Label: label, Source: p.source(line), URLs: urls}
	return p.emit(&p.t)
}

// jsonID accepts "123" or 123 (digits only).
func jsonID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("missing \"id\"")
	}
	s, err := jsonScalar(raw)
	if err != nil || !isDigits([]byte(s)) {
		return "", fmt.Errorf("bad id %s: want a string of digits", raw)
	}
	return s, nil
}

// jsonScalar renders a JSON string or number as text.
func jsonScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// parseJSONTime parses created_at: RFC 3339 (plain and v2 objects) or
// Twitter's v1.1 "Sun Apr 05 10:46:44 +0000 2020"; "" is unknown.
func parseJSONTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if len(s) > 0 && s[0] >= 'A' && s[0] <= 'Z' {
		if t, err := parseTwitterDate(s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad created_at %q: want RFC 3339 like 2009-04-06T22:19:45.000Z or Twitter's \"Mon Apr 06 22:19:45 +0000 2009\"", s)
}

// ownText is the full text of one tweet object and the entities that
// belong to it: extended_tweet.full_text (v1.1 stream), note_tweet.text
// (v2), full_text (v1.1 extended mode), else text. ok is false without any.
func (tw *jsonTweet) ownText() (text string, ents *jsonEntities, ok bool) {
	switch {
	case tw.Extended != nil && tw.Extended.FullText != nil && *tw.Extended.FullText != "":
		return *tw.Extended.FullText, &tw.Extended.Entities, true
	case tw.NoteTweet != nil && tw.NoteTweet.Text != nil && *tw.NoteTweet.Text != "":
		return *tw.NoteTweet.Text, &tw.NoteTweet.Entities, true
	case tw.FullText != nil && *tw.FullText != "":
		return *tw.FullText, tw.Entities, true
	case tw.Text != nil:
		return *tw.Text, tw.Entities, true
	}
	return "", nil, false
}

// screenName is the user of a tweet object: user.screen_name (v1.1), a
// "user" string, the username includes.users gives author_id (v2), else
// author_id.
func (tw *jsonTweet) screenName(inc *jsonIncludes) (string, error) {
	if u := bytes.TrimSpace(tw.User); len(u) > 0 && string(u) != "null" {
		switch u[0] {
		case '{':
			var o struct {
				ScreenName string `json:"screen_name"`
				Username   string `json:"username"`
			}
			if err := json.Unmarshal(u, &o); err != nil {
				return "", fmt.Errorf("bad \"user\": %v", err)
			}
			if o.ScreenName != "" {
				return o.ScreenName, nil
			}
			if o.Username != "" {
				return o.Username, nil
			}
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			s, err := jsonScalar(u)
			if err != nil {
				return "", fmt.Errorf("bad \"user\": %v", err)
			}
			return s, nil
		default:
			return "", fmt.Errorf("bad \"user\" %s: want an object with screen_name, a string or a number", truncateJSON(u))
		}
	}
	if inc != nil && tw.AuthorID != "" {
		for _, u := range inc.Users {
			if u.ID == tw.AuthorID && u.Username != "" {
				return u.Username, nil
			}
		}
	}
	return tw.AuthorID, nil
}

func truncateJSON(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// apiText picks the text, URLs and user of tweet tw (env is the line's
// top-level object, which holds the v2 includes). A retweet (v1.1
// retweeted_status, or a v2 "retweeted" reference found in
// includes.tweets) gives "RT @<original author>: <original full text>",
// as Twitter writes a retweet's text but not truncated; the marker is
// kept so that clean's strip-rt and deduplication treat it as a retweet.
// Otherwise the tweet's own full text (see ownText). The t.co links of
// the chosen text's entities.urls are replaced by their expanded_url, and
// the expanded URLs (in order, without repeats) are returned.
func (env *jsonTweet) apiText(tw *jsonTweet) (text string, urls []string, user string, err error) {
	if user, err = tw.screenName(env.Includes); err != nil {
		return "", nil, "", err
	}
	src := tw
	rt := tw.Retweeted
	if rt == nil && env.Includes != nil {
		for _, r := range tw.References {
			if r.Type != "retweeted" {
				continue
			}
			for i := range env.Includes.Tweets {
				if t := &env.Includes.Tweets[i]; jsonIDEquals(t, r.ID) {
					rt = t
				}
			}
		}
	}
	prefix := ""
	if rt != nil {
		rtUser, err := rt.screenName(env.Includes)
		if err != nil {
			return "", nil, "", fmt.Errorf("retweeted status: %w", err)
		}
		if _, _, ok := rt.ownText(); ok && rtUser != "" {
			src, prefix = rt, "RT @"+rtUser+": "
		}
	}
	text, ents, ok := src.ownText()
	if !ok {
		return "", nil, user, nil
	}
	if ents != nil {
		for _, u := range ents.URLs {
			exp := u.ExpandedURL
			if exp == "" {
				exp = u.URL
			}
			if exp == "" {
				continue
			}
			if u.URL != "" && u.ExpandedURL != "" {
				text = strings.ReplaceAll(text, u.URL, u.ExpandedURL)
			}
			if !slices.Contains(urls, exp) {
				urls = append(urls, exp)
			}
		}
	}
	return prefix + text, urls, user, nil
}

// jsonIDEquals reports whether tweet t has the id (id_str or id).
func jsonIDEquals(t *jsonTweet, id string) bool {
	if t.IDStr != "" {
		return t.IDStr == id
	}
	s, err := jsonScalar(t.ID)
	return err == nil && s == id
}
