// Package adapteropt lets a framework adapter accept its own settings (an
// Echo skipper, the gRPC error codes) in the same variadic list as the core's
// [gray.Option]s, so users write one list and the shared options keep one
// definition.
package adapteropt

import "github.com/graykit/graykit/gray"

// Option is a [gray.Option] that carries a setting of one adapter, whose
// configuration type is C. To the core it is a no-op, so passing it to
// [gray.Middleware] or another adapter changes nothing.
type Option[C any] struct {
	gray.Option
	apply func(*C)
}

// New returns an adapter option that applies fn to the adapter's
// configuration.
func New[C any](fn func(*C)) gray.Option {
	// WithObserver(nil) is the core's no-op option: it gives this type the
	// core's unexported method without changing anything the core reads.
	return Option[C]{Option: gray.WithObserver(nil), apply: fn}
}

// Split applies the adapter options meant for C to c and returns the
// others, for [gray.NewHook]. It is called once, at construction.
func Split[C any](opts []gray.Option, c *C) []gray.Option {
	core := make([]gray.Option, 0, len(opts))
	for _, o := range opts {
		if a, ok := o.(Option[C]); ok {
			if a.apply != nil {
				a.apply(c)
			}
			continue
		}
		core = append(core, o)
	}
	return core
}
