package graygrpc

import (
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/graykit/graykit/gray"
)

// MetadataCarrier is gRPC metadata as a [gray.Carrier]: what
// [gray.HeaderCarrier] is for HTTP. Keys are lower-cased, as gRPC sends
// them, so gray.PropagationHeader is the metadata key
// "graykit-propagation" and "Baggage" is "baggage".
type MetadataCarrier metadata.MD

var (
	_ gray.Carrier      = MetadataCarrier(nil)
	_ gray.ValuesGetter = MetadataCarrier(nil)
)

// mdKey lower-cases key, without allocating for the keys graykit uses.
func mdKey(key string) string {
	switch key {
	case gray.PropagationHeader:
		return "graykit-propagation"
	case "Baggage":
		return "baggage"
	}
	return strings.ToLower(key)
}

// Get returns the first value of key.
func (c MetadataCarrier) Get(key string) string {
	if vs := c[mdKey(key)]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Values returns every value of key.
func (c MetadataCarrier) Values(key string) []string { return c[mdKey(key)] }

// Set replaces every value of key with value; an empty value removes key.
func (c MetadataCarrier) Set(key, value string) {
	if value == "" {
		delete(c, mdKey(key))
		return
	}
	c[mdKey(key)] = []string{value}
}

// Keys lists the metadata keys present.
func (c MetadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
