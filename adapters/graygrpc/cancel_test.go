package graygrpc_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/gray"
)

// TestHandlerErrorCodes: a handler returning a bare context error is
// counted with the code grpc-go sends for it (a client's cancellation is
// not a server error); status errors keep their own code.
func TestHandlerErrorCodes(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 100}]"))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	tests := []struct {
		name      string
		give      error
		wantError bool
	}{
		{"canceled", context.Canceled, false},
		{"wrapped canceled", fmt.Errorf("read: %w", context.Canceled), false},
		{"deadline", context.DeadlineExceeded, true},
		{"status internal", status.Error(codes.Internal, "boom"), true},
		{"status not found", status.Error(codes.NotFound, "no"), false},
		{"plain error", fmt.Errorf("boom"), true},
		{"ok", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []gray.Outcome
			obs := outcomeFunc(func(o gray.Outcome) { got = append(got, o) })
			icpt := graygrpc.UnaryServerInterceptor(e, gray.WithKeyFromHeader("x-user-id"), gray.WithObserver(obs))
			ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("x-user-id", "u-1"))
			_, _ = icpt(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/svc/M"}, func(ctx context.Context, _ any) (any, error) {
				gray.Variant(ctx, "checkout")
				return nil, tt.give
			})
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantError, got[0].Error, "code %s", got[0].Code)
		})
	}
}

type outcomeFunc func(gray.Outcome)

func (f outcomeFunc) ObserveDecision(gray.Decision) {}
func (f outcomeFunc) ObserveOutcome(o gray.Outcome) { f(o) }
