package main

import "fmt"

func notYet(e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "graykit: this command needs the admin API, which is not built yet")
	return exitFail
}

func runStatus(e *env, args []string) int   { return notYet(e, args) }
func runAudit(e *env, args []string) int    { return notYet(e, args) }
func runSetShare(e *env, args []string) int { return notYet(e, args) }

func actionCommand(string) func(*env, []string) int { return notYet }
