package ddlcheck_test

import (
	"fmt"

	"github.com/graykit/graykit/ddlcheck"
)

func ExampleCheck() {
	src := `ALTER TABLE users MODIFY status VARCHAR(20);
ALTER TABLE users ADD COLUMN status_v2 VARCHAR(20) DEFAULT 'active';
`
	rep, err := ddlcheck.Check(ddlcheck.MySQL, "0042_status.sql", src, ddlcheck.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range rep.Findings {
		fmt.Printf("%s:%d %s (playbook: %s)\n", f.File, f.Line, f.Rule, f.Playbook)
	}
	// Output:
	// 0042_status.sql:1 change-column-type (playbook: change type)
}
