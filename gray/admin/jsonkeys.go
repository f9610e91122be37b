package admin

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
)

// checkDuplicateKeys rejects a JSON document in which an object names a key
// twice. encoding/json keeps the last value silently, so {"share": 1,
// "share": 100} would act on 100 while a reviewer of the request (or a log
// of it) reads 1; the config parser refuses duplicates for the same reason.
// The top-level object is decoded into a struct, whose fields encoding/json
// matches regardless of case, so there "share" and "Share" are duplicates
// too. data must be valid JSON: decode it first.
func checkDuplicateKeys(data []byte) error {
	type frame struct {
		path  string
		keys  map[string]string // folded (top level) or exact key → key as written; nil for an array
		index int               // arrays: the next element's index
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	inObject := func() bool { return len(stack) > 0 && stack[len(stack)-1].keys != nil }
	expectKey := false // the next token is an object's key
	next := ""         // the path of the next value
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or an error the decoder has already reported
		}
		if expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				expectKey = inObject()
				continue
			}
			top := stack[len(stack)-1]
			key, _ := tok.(string)
			id := key
			if len(stack) == 1 {
				id = foldKey(key)
			}
			next = key
			if top.path != "" {
				next = top.path + "." + key
			}
			if first, dup := top.keys[id]; dup {
				msg := "body: key " + strconv.Quote(truncate(next, 64)) + " appears twice"
				if first != key {
					msg += " (field names match regardless of case)"
				}
				return badRequest("%s", msg)
			}
			top.keys[id] = key
			expectKey = false
			continue
		}
		path := next
		if n := len(stack); n > 0 && stack[n-1].keys == nil {
			path = stack[n-1].path + "[" + strconv.Itoa(stack[n-1].index) + "]"
			stack[n-1].index++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{path: path, keys: map[string]string{}})
			expectKey = true
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			expectKey = inObject()
		default:
			expectKey = inObject()
		}
	}
}

// foldKey maps s to one spelling of its case-folding class: foldKey(a) ==
// foldKey(b) exactly when strings.EqualFold(a, b), which is how
// encoding/json matches field names.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
