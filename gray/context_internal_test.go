package gray

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestRequestStateSize guards the size of what every request allocates: the
// middleware's benchmarks pay for each byte (allocation, zeroing,
// collection), and 128 and 192 are Go size classes, so one more field costs
// a whole class. Move anything new into decisionsExt.
func TestRequestStateSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(Scope{}), uintptr(128), "Scope")
	assert.LessOrEqual(t, unsafe.Sizeof(extScope{}), uintptr(192), "extScope (observing or accepting propagation)")
}
