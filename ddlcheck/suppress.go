package ddlcheck

import (
	"strings"
)

// directive is the marker of a suppression comment:
//
//	-- graykit:allow drop-column,drop-default: the column was never read (OPS-12)
//
// It covers the next statement; the reason after the colon is mandatory
// and is printed with every finding it covers.
const directive = "graykit:allow"

type suppression struct {
	line   int
	rules  []string
	reason string
}

type badSuppression struct {
	line    int
	text    string
	problem string
}

type suppressionList []suppression

// suppressions finds the directive in line comments ("--" or "#" first on
// a line). It reads comments only; statements are left to the parsers.
func suppressions(src string) (suppressionList, []badSuppression) {
	var (
		list suppressionList
		bad  []badSuppression
	)
	for i, raw := range strings.Split(src, "\n") {
		text := strings.TrimSpace(raw)
		var body string
		switch {
		case strings.HasPrefix(text, "--"):
			body = strings.TrimSpace(text[2:])
		case strings.HasPrefix(text, "#"):
			body = strings.TrimSpace(text[1:])
		default:
			continue
		}
		if !strings.HasPrefix(body, directive) {
			continue
		}
		body = strings.TrimSpace(body[len(directive):])
		names, reason, found := strings.Cut(body, ":")
		reason = strings.TrimSpace(reason)
		s := suppression{line: i + 1, reason: reason}
		var problems []string
		for _, n := range strings.FieldsFunc(names, func(r rune) bool { return r == ',' || r == ' ' }) {
			if _, ok := ruleByName(n); !ok {
				problems = append(problems, "unknown rule "+n)
				continue
			}
			s.rules = append(s.rules, n)
		}
		if len(s.rules) == 0 && len(problems) == 0 {
			problems = append(problems, "no rule named")
		}
		if !found || reason == "" {
			problems = append(problems, "no reason given")
		}
		if len(problems) > 0 {
			bad = append(bad, badSuppression{line: i + 1, text: text, problem: strings.Join(problems, "; ")})
			continue
		}
		list = append(list, s)
	}
	return list, bad
}

// lookup returns the suppression of rule written between the previous
// statement's last line (after) and the statement's first line (upto).
func (l suppressionList) lookup(after, upto int, rule string) (suppression, bool) {
	for _, s := range l {
		if s.line < after || s.line > upto {
			continue
		}
		for _, r := range s.rules {
			if r == rule {
				return s, true
			}
		}
	}
	return suppression{}, false
}
