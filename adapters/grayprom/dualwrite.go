package grayprom

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/graykit/graykit/dualwrite"
)

// UsageCollector exports the [dualwrite.Usage] of migrations as
// graykit_dualwrite_ops_total{migration, side, op}: the reads and writes
// each side got on this replica. An alert or a dashboard on
// increase(graykit_dualwrite_ops_total{side="old"}[24h]) summed over
// replicas answers, like `graykit contract-check`, whether the old side is
// still in use.
type UsageCollector struct {
	usages map[string]*dualwrite.Usage
	names  []string
	ops    *prometheus.Desc
}

var _ prometheus.Collector = (*UsageCollector)(nil)

// NewUsageCollector returns a collector of the usages, by migration name.
// The map is copied; nil usages are left out.
func NewUsageCollector(usages map[string]*dualwrite.Usage) *UsageCollector {
	c := &UsageCollector{usages: map[string]*dualwrite.Usage{}}
	for name, u := range usages {
		if u != nil {
			c.usages[name] = u
			c.names = append(c.names, name)
		}
	}
	sort.Strings(c.names)
	c.ops = prometheus.NewDesc("graykit_dualwrite_ops_total",
		"Reads and writes of each side of a dualwrite migration on this replica (shadow reads included).",
		[]string{"migration", "side", "op"}, nil)
	return c
}

// Describe implements [prometheus.Collector].
func (c *UsageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.ops }

// Collect implements [prometheus.Collector].
func (c *UsageCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range c.names {
		u := c.usages[name]
		for _, s := range []dualwrite.Side{dualwrite.SideOld, dualwrite.SideNew} {
			for _, op := range []dualwrite.Op{dualwrite.OpRead, dualwrite.OpWrite} {
				ch <- prometheus.MustNewConstMetric(c.ops, prometheus.CounterValue, float64(u.Count(s, op)), name, s.String(), op.String())
			}
		}
	}
}
