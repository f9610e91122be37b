// Command graykit inspects graykit configurations offline and drives a
// running application's operator console (package
// [github.com/graykit/graykit/gray/admin]) from a terminal.
//
// Install it with
//
//	go install github.com/graykit/graykit/cmd/graykit@latest
//
// # Offline commands
//
//	graykit bucket [--salt S] KEY...          each key's bucket (gray.SaltedBucket)
//	graykit lint FILE...                      every problem with its path; exit 1 on errors
//	graykit explain --config FILE --rollout R --key K
//	        [--header N=V] [--cookie N=V] [--query N=V] [--attr N=V]
//	        [--ip IP] [--method M] [--path P] [--host H]
//	                                          the decision and the trace of every rule
//
// # Commands against a running application
//
// These talk to the admin API mounted by the application. --url and --token
// default to the environment variables GRAYKIT_URL and GRAYKIT_TOKEN (prefer
// the variable: a flag is visible in the process list).
//
//	graykit status [ROLLOUT]                  rollouts, steps, shares and health; pending approvals
//	graykit audit [ROLLOUT]                   who did what, when and why
//	graykit start ROLLOUT [--reason R]        a new run of the plan at its first step (after a deploy)
//	graykit wait ROLLOUT [--until step:N|share:P] [--timeout D] [--interval D]
//	                                          block until promoted, rolled back or stopped (for CI)
//	graykit approve ROLLOUT [--reason R] [--expect-version N]
//	                                          let a rollout awaiting approval enter its next step
//	graykit pause|resume|brake|promote|advance ROLLOUT [--reason R] [--expect-version N]
//	graykit set-share ROLLOUT PERCENT [--reason R] [--expect-version N]
//	graykit put-subject ROLLOUT KEY VARIANT [--reason R]
//	                                          one subject key on a variant, every replica within a poll
//	graykit remove-subject ROLLOUT KEY [--reason R]
//	graykit subjects ROLLOUT                  the rollout's subject overrides
//
// brake, resume, set-share and promote work on every rollout, with or
// without a plan; advance and pause need a plan (the server refuses them
// otherwise, and the command exits 1).
//
// advance and resume act on the state the server finds: if the judge or
// someone else changes it before the action is stored, nothing is changed,
// the command says what it moved to and exits 1, e.g.
//
//	graykit: checkout-v2 moved to step 2 (5%) since you looked (advance by guard/web-2); nothing was changed; run again to advance from there
//
// --expect-version N binds any action to the state version N that
// 'graykit status ROLLOUT' showed, so an action decided on what you saw
// never lands on a state you did not see.
//
// Every command takes --json for output that scripts read. Flags may come
// before or after the positional arguments.
//
// # Exit status
//
// 0 on success, 1 when the command ran and failed (a config with errors,
// an action the server refused), 2 on a usage error. wait adds 3 when the
// judge rolled the canary back, 4 when the rollout was braked or paused,
// and 5 when --timeout passed first ('graykit help wait').
package main
