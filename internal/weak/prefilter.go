package weak

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A litFilter is a necessary condition for a regular expression to match:
// every match contains one of its literals (in fold form), so a text whose
// fold form contains none of them is skipped without running the
// expression. Rules run on every tweet a model with rule features scores,
// and most tweets do not match most patterns, so the substring search
// replaces most of the (backtracking, case-insensitive) regexp work. A nil
// filter always runs the expression.
type litFilter []string

// requiredLiterals returns a filter of the case-insensitive expression
// expr, or nil when none is known. It reads the parsed expression: a
// literal is required; a concatenation requires what its most selective
// element requires (the set whose shortest literal is longest); an
// alternation the union of what each branch requires (nothing known if a
// branch requires nothing); captures, + and {n,} with n >= 1 what their
// body requires. Anything else (classes, *, ?, anchors) requires nothing.
func requiredLiterals(expr string) litFilter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return required(re.Simplify())
}

func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		// Also right for a case-sensitive literal: a text containing it
		// contains its fold form once folded (a weaker, still necessary
		// condition).
		return []string{foldString(string(re.Rune))}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			s := required(sub)
			if s == nil {
				continue
			}
			if m := minLen(s); m > bestLen {
				best, bestLen = s, m
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			s := required(sub)
			if s == nil {
				return nil
			}
			all = append(all, s...)
		}
		return all
	}
	return nil
}

func minLen(s []string) int {
	m := -1
	for _, l := range s {
		if m < 0 || len(l) < m {
			m = len(l)
		}
	}
	return m
}

// mayMatch reports whether a text whose fold form is folded may match.
func (f litFilter) mayMatch(folded string) bool {
	if f == nil {
		return true
	}
	for _, l := range f {
		if strings.Contains(folded, l) {
			return true
		}
	}
	return false
}

// foldString maps every rune to the smallest rune of its simple case
// folding orbit (the equivalence (?i) matches under: 'k', 'K' and the
// Kelvin sign all become 'K'), so that a case-insensitive literal occurs
// in a text exactly when its fold form occurs in the text's fold form.
func foldString(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteByte(asciiFold[r])
			continue
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for i := range t {
		t[i] = byte(foldRune(rune(i)))
	}
	return t
}()
