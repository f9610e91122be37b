// Package admin is graykit's operator console: an [http.Handler] that
// serves a JSON API and an embedded web page to see every rollout, explain
// any decision, and move or brake a rollout without a deploy.
//
// The application mounts it where it chooses (it is never mounted by
// default) and decides who may use it:
//
//	console, err := admin.New(admin.Config{
//		Engine:   engine,
//		Backend:  backend, // admin.GuardBackend(store, controller.Actions)
//		Counters: controller.Counters(),
//		Tokens: []admin.Token{
//			{Name: "oncall", Secret: os.Getenv("GRAYKIT_OPERATOR_TOKEN"), Role: admin.RoleOperator},
//			{Name: "dashboard", Secret: os.Getenv("GRAYKIT_VIEWER_TOKEN"), Role: admin.RoleViewer},
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/graykit/", http.StripPrefix("/graykit", console))
//
// # What it shows
//
// GET api/rollouts lists every rollout of the engine's configuration with
// its variants, rules and plan as in force on this replica; the shared
// state every replica follows: phase, step (with a plan), share and the
// last transition, with the judge's evidence; and per
// variant the requests, error rate and latency percentiles of each recent
// window, summed over replicas (from the backend's windows) or, when the
// backend has none, from this replica's [gray.Counters]. GET api/audit is
// the audit trail, newest first. POST api/explain decides a subject
// described by key, headers, cookies, query, attributes, IP and path, and
// traces every rule: see [Explain].
//
// # Actions
//
// POST api/rollouts/{name}/{action}, where action is start, approve,
// advance, pause, resume, brake, promote or set-share, with an optional JSON body
// {"share": 20, "reason": "…"}. Actions go through the [Backend], normally
// the guard's shared store ([GuardBackend]), so every replica applies them
// at its next poll, and each one is audited with the caller's name, the
// time, what changed and the reason. Brake, resume, set-share and promote
// work on every rollout, with or without a plan: brake sends everyone to
// the default variant, set-share holds a share over the configuration's,
// promote holds 100%, and resume undoes the brake (back to the
// configuration's share, or to the share set by hand). Start (a new run of
// the plan at its first step, with fresh evidence), advance and pause
// walk a plan's steps and stop its judge, so they need a plan: without one
// they get 409 Conflict saying so, and the page disables them.
//
// A rollout whose plan awaits a person's approval (phase
// awaiting-approval, its last transition the judge's request with the
// evidence) is listed under "Pending approvals" on the page and has an
// Approve button; approve lets it enter the awaited step.
//
// Advance, resume and approve are decided on the state they find ("the next step"
// after 1% is 5%): if the judge or another person changes it before the
// action is stored, nothing is changed and the answer is 409 Conflict with
// the state in force in [ErrorResponse] State. A body with
// {"version": N}, the state version the caller saw, binds any action to it
// the same way; the page sends it for advance, resume and approve, so an action
// decided on what the page showed never lands on a state it did not show.
//
// # Alerts pull the brake
//
// [AlertHandler] receives Prometheus Alertmanager's webhook and brakes (or
// pauses) the rollouts named by a firing alert's graykit_rollout label,
// audited with the alert as the reason, once per alert however often
// Alertmanager repeats it; resolved alerts do nothing unless configured to
// resume. Mount it beside the console with its own operator token:
//
//	alerts, err := admin.NewAlertHandler(admin.AlertConfig{
//		Backend: backend,
//		Tokens:  []admin.Token{{Name: "alertmanager", Secret: os.Getenv("GRAYKIT_ALERT_TOKEN"), Role: admin.RoleOperator}},
//	})
//	mux.Handle("/ops/graykit-alerts", alerts)
//
// and point an Alertmanager receiver at it:
//
//	receivers:
//	  - name: graykit
//	    webhook_configs:
//	      - url: https://app.internal/ops/graykit-alerts
//	        http_config:
//	          authorization: {type: Bearer, credentials_file: /etc/alertmanager/graykit-token}
//
// # Security
//
// Every API call needs authentication: a bearer token from [Config.Tokens]
// (compared in constant time) or the application's own [AuthorizeFunc].
// [RoleViewer] reads and explains; [RoleOperator] also acts. Actions need
// POST, the [CSRFHeader] header (which a cross-site form cannot send), and
// from a browser the same origin (Sec-Fetch-Site and Origin are checked).
// Bodies are limited to 64 KiB and decoded strictly (an unknown field, or
// a field named twice, is refused: the config parser refuses both too), and
// audit reasons may hold no control, format (U+202E and the like) or
// line-separator character; bad input gets a 4xx with a JSON
// [ErrorResponse], never a 5xx. The page is static and holds no
// data: it asks for a token, keeps it in the tab's sessionStorage and sends
// it as a bearer header. It loads no script or style from elsewhere, runs
// under a strict Content-Security-Policy and works offline.
package admin
