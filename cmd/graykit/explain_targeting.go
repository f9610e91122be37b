package main

import (
	"strconv"

	"github.com/graykit/graykit/gray/admin"
)

// targetingRows are the explain lines for bucketing, layers and
// prerequisites, shown only when the rollout uses them.
func targetingRows(res admin.ExplainResult) [][]string {
	var rows [][]string
	if res.BucketBy != "" && res.BucketBy != "key" {
		rows = append(rows, []string{"bucket by", res.BucketBy})
	}
	if res.Layer != "" {
		rows = append(rows, []string{"layer", res.Layer + " (slice " + res.Slice + ")"})
	}
	for _, p := range res.Prerequisites {
		rows = append(rows, []string{"prerequisite", p.Condition + ": got " + strconv.Quote(p.Value) + ", held " + yesNo(p.Matched)})
	}
	return rows
}
