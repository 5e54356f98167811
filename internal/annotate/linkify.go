package annotate

import (
	"html/template"
	"regexp"
	"strings"
)

// urlRe finds http(s) URLs: a scheme, then characters up to whitespace or
// a quote/angle bracket. Trailing punctuation is trimmed by Linkify.
var urlRe = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'` + "`" + `]+`)

// Linkify returns text as safe HTML: everything escaped, and each http or
// https URL turned into a link that opens in a new tab without access to
// this page (rel="noopener noreferrer"). Other schemes (javascript:,
// data:) stay plain text.
func Linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range urlRe.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		// Trailing sentence punctuation is not part of the link.
		for end > start && strings.ContainsRune(".,;:!?)]}", rune(text[end-1])) {
			end--
		}
		if end-start <= len("https://") {
			continue
		}
		b.WriteString(template.HTMLEscapeString(text[last:start]))
		u := text[start:end]
		esc := template.HTMLEscapeString(u)
		b.WriteString(`<a href="` + esc + `" target="_blank" rel="noopener noreferrer">` + esc + `</a>`)
		last = end
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}
