package gray

import (
	"fmt"
	"io"
	"os"
)

// Limits of [ParseConfig], [LoadConfig] and gray/watch unless set
// otherwise with [WithMaxConfigSize] and [WithMaxConfigValues]. A document
// also nests at most 128 levels deep, and a condition's all, any and not at
// most 32.
const (
	// DefaultMaxConfigSize is the largest document read, in bytes.
	DefaultMaxConfigSize = 4 << 20
	// DefaultMaxConfigValues is the most values (scalars, lists and
	// mappings, keys included, and what YAML aliases expand to) a document
	// may hold: enough for a list of 45,000 user keys in any notation.
	DefaultMaxConfigValues = 100_000
)

// ParseOption sets a limit of [ParseConfig] and [LoadConfig] (and of the
// file watcher in gray/watch, which reads through LoadConfig).
type ParseOption interface {
	applyParse(*parseLimits)
}

type parseLimits struct {
	maxSize   int
	maxValues int
}

type parseOptionFunc func(*parseLimits)

func (f parseOptionFunc) applyParse(l *parseLimits) { f(l) }

// WithMaxConfigSize sets the largest document read, in bytes; a larger one
// is refused before it is parsed ([LoadConfig] and gray/watch do not read
// past the limit). n ≤ 0 means [DefaultMaxConfigSize]. Parsing a YAML
// document allocates about 7 bytes for each of its bytes.
func WithMaxConfigSize(n int) ParseOption {
	return parseOptionFunc(func(l *parseLimits) { l.maxSize = n })
}

// WithMaxConfigValues sets the most values a document may hold; n ≤ 0
// means [DefaultMaxConfigValues]. Parsing a YAML document allocates about
// 250 bytes for each value, so YAML is refused before it is parsed when an
// estimate says it may hold more: the estimate counts each ",", ":", "?"
// and "[" as two values, "{" as three and "-" before a blank as one,
// comments and quoted text included, so a YAML flow list of n entries needs
// a limit of about 2n. JSON is counted exactly, as it is read.
func WithMaxConfigValues(n int) ParseOption {
	return parseOptionFunc(func(l *parseLimits) { l.maxValues = n })
}

// newParseLimits applies opts to the defaults.
func newParseLimits(opts []ParseOption) parseLimits {
	var l parseLimits
	for _, o := range opts {
		o.applyParse(&l)
	}
	return l.withDefaults()
}

func (l parseLimits) withDefaults() parseLimits {
	if l.maxSize <= 0 {
		l.maxSize = DefaultMaxConfigSize
	}
	if l.maxValues <= 0 {
		l.maxValues = DefaultMaxConfigValues
	}
	return l
}

// sizeProblem refuses a document of size bytes above the limit.
func (l parseLimits) sizeProblem(size int64) *Problem {
	return &Problem{Message: fmt.Sprintf("the document is %d bytes, above the limit of %d (see WithMaxConfigSize)", size, l.maxSize)}
}

// valuesMessage says that a document holds too many values.
func (l parseLimits) valuesMessage() string {
	return fmt.Sprintf("more than %d values in the document (see WithMaxConfigValues)", l.maxValues)
}

// readConfigFile reads the file at path, refusing one above the size limit
// without reading it all.
func readConfigFile(path string, l parseLimits) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gray: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > int64(l.maxSize) {
		return nil, &ConfigError{Problems: []Problem{*l.sizeProblem(fi.Size())}}
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(l.maxSize)+1))
	if err != nil {
		return nil, fmt.Errorf("gray: %w", err)
	}
	if len(data) > l.maxSize {
		return nil, &ConfigError{Problems: []Problem{*l.sizeProblem(int64(len(data)))}}
	}
	return data, nil
}

// yamlValueBound returns at least the number of nodes the YAML library
// builds for data, without parsing it, so that a document too big to parse
// in bounded memory is refused first. It cannot tell a quoted "," from a
// separator, so it counts every indicator a node may follow, with the most
// nodes each can bring: "{" a mapping, its first key and a null value; "[",
// ",", ":" and "?" a node and one more (a flow entry's key and null value,
// an implicit key and its value, an explicit key and its null value); "-"
// before a blank (the only "-" that starts a block entry) its entry. Two
// more are the document and its root. FuzzYAMLValueBound holds it to the
// library.
func yamlValueBound(data []byte) int {
	n := 2
	for i, c := range data {
		switch c {
		case '{':
			n += 3
		case '[', ',', ':', '?':
			n += 2
		case '-':
			// The library takes any byte up to ' ', and the UTF-8 line
			// breaks (from 0x80 up), as the blank after an indicator.
			if i+1 == len(data) || data[i+1] <= ' ' || data[i+1] >= 0x80 {
				n++
			}
		}
	}
	return n
}
