package graygrpc

import (
	"google.golang.org/grpc/codes"

	"github.com/graykit/graykit/adapters/internal/adapteropt"
	"github.com/graykit/graykit/gray"
)

// DefaultErrorCodes are the codes counted as errors by default: the
// server-side failures Unknown, DeadlineExceeded, Unimplemented, Internal,
// Unavailable and DataLoss. Codes that say the caller was wrong
// (InvalidArgument, NotFound, PermissionDenied, …) are not the new
// version's fault.
var DefaultErrorCodes = []codes.Code{
	codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
	codes.Internal, codes.Unavailable, codes.DataLoss,
}

type config struct {
	errorCodes *codeSet
}

// codeSet has one bit per code.
type codeSet uint64

func (s codeSet) has(c codes.Code) bool { return c < 64 && s&(1<<c) != 0 }

func newCodeSet(cs []codes.Code) codeSet {
	var s codeSet
	for _, c := range cs {
		if c < 64 {
			s |= 1 << c
		}
	}
	return s
}

// WithErrorCodes replaces [DefaultErrorCodes]: the server interceptors
// report an outcome with one of these codes as an error, and only those (a
// panic always counts). Add codes such as ResourceExhausted, or leave out
// ones such as Unimplemented, whatever their HTTP equivalent. It is a
// gRPC-only setting that travels in the
// same option list as the core's options; elsewhere it is ignored.
func WithErrorCodes(cs ...codes.Code) gray.Option {
	set := newCodeSet(cs)
	return adapteropt.New(func(c *config) { c.errorCodes = &set })
}

func splitOptions(opts []gray.Option) (config, []gray.Option) {
	var cfg config
	core := adapteropt.Split(opts, &cfg)
	if cfg.errorCodes == nil {
		set := newCodeSet(DefaultErrorCodes)
		cfg.errorCodes = &set
	}
	return cfg, core
}
