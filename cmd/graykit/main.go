package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(env *env, args []string) int
}

// env is what a command runs with: where to write, and the environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"bucket", "print each key's bucket", runBucket},
		{"lint", "check configuration files", runLint},
		{"explain", "explain a decision from a config file", runExplain},
		{"status", "show the rollouts of a running application", runStatus},
		{"start", "begin a rollout's plan anew at its first step (after a deploy)", actionCommand("start")},
		{"wait", "block until a rollout is promoted, rolled back or stopped (for CI)", runWait},
		{"audit", "show the audit trail of a running application", runAudit},
		{"approve", "let a rollout awaiting approval enter its next step", actionCommand("approve")},
		{"pause", "pause a rollout's plan (hold its step)", actionCommand("pause")},
		{"resume", "resume a paused or braked rollout", actionCommand("resume")},
		{"brake", "send everyone to the default variant now (any rollout)", actionCommand("brake")},
		{"promote", "give the new variant 100%", actionCommand("promote")},
		{"advance", "move a rollout to its plan's next step", actionCommand("advance")},
		{"set-share", "set a rollout's share: set-share ROLLOUT PERCENT", runSetShare},
		{"contract-check", "has anything used a migration's old side lately? contract-check MIGRATION", runContractCheck},
		{"ddl", "check SQL migrations for changes that break running code: ddl check FILE|DIR...", runDDL},
		{"put-subject", "put one subject key on a variant: put-subject ROLLOUT KEY VARIANT", runPutSubject},
		{"remove-subject", "remove a subject key's override: remove-subject ROLLOUT KEY", runRemoveSubject},
		{"subjects", "list a rollout's subject overrides", runSubjects},
	}
}

// run is the whole program, minus os.Exit: tests call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	return runEnv(args, &env{stdout: stdout, stderr: stderr, getenv: os.Getenv})
}

func runEnv(args []string, e *env) int {
	if len(args) == 2 && args[0] == "help" { // graykit help COMMAND
		args = []string{args[1], "-h"}
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "graykit: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: graykit COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'graykit help COMMAND' (or 'graykit COMMAND -h') for a command's flags.")
}
