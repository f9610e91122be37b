package grayprom_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/graykit/graykit/adapters/grayprom"
	"github.com/graykit/graykit/dualwrite"
)

func TestUsageCollector(t *testing.T) {
	u := &dualwrite.Usage{}
	u.Add(dualwrite.SideOld, dualwrite.OpRead)
	u.Add(dualwrite.SideOld, dualwrite.OpRead)
	u.Add(dualwrite.SideNew, dualwrite.OpWrite)
	fams := scrape(t, grayprom.NewUsageCollector(map[string]*dualwrite.Usage{"users-status": u, "skipped": nil}))
	f := fams["graykit_dualwrite_ops_total"]
	assert.Len(t, f.GetMetric(), 4)
	get := func(side, op string) float64 {
		return find(t, f, map[string]string{"migration": "users-status", "side": side, "op": op}).GetCounter().GetValue()
	}
	assert.Equal(t, 2.0, get("old", "read"))
	assert.Equal(t, 0.0, get("old", "write"))
	assert.Equal(t, 0.0, get("new", "read"))
	assert.Equal(t, 1.0, get("new", "write"))
}
