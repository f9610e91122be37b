// Package ofrep serves graykit's decisions to browsers and mobile apps over
// the OpenFeature Remote Evaluation Protocol (OFREP), so that any OFREP
// client — the OpenFeature web SDK's OFREP provider, for one — reads the
// very variant the server picked for the same request.
//
// # Where it sits
//
// [NewHandler] is meant to be mounted behind [gray.Middleware], with the
// same key options the application's API uses (a session cookie, a header):
//
//	mux.Handle("/ofrep/", gray.Middleware(engine, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler()))
//
// The middleware identifies the subject and pins a configuration snapshot;
// the handler answers from the request's [gray.Decisions], so a page and the
// API calls it makes get the same answer for the same user. Requests
// without decisions (a handler mounted outside the middleware) get 500 with
// the GENERAL error: the handler never decides on its own.
//
// # What clients see
//
// Only rollouts with Client set ("client: true" in the configuration) are
// served; every other name answers FLAG_NOT_FOUND, exactly as a name that
// does not exist, so internal rollouts never leak. Bulk evaluation
// (POST …/ofrep/v1/evaluate/flags) lists the client rollouts in
// configuration order, with a strong ETag over the body: a client that sends
// it back in If-None-Match gets 304 Not Modified while its own answers are
// unchanged. Single evaluation (POST …/ofrep/v1/evaluate/flags/{key}) answers
// one rollout.
//
// Each answer carries the variant's name as "variant" and its value as
// "value": the variant's typed value ([gray.VariantSpec.Value]: a boolean,
// a number, a string or an object), or, for a rollout whose variants carry
// no values, the variant's name as a string. (OFREP has no array values;
// gray refuses "client: true" on a rollout with array values.) The reason
// maps graykit's:
// a rule, a subject override or a prerequisite → TARGETING_MATCH, the split
// (inside a variant's range or past all of them) → SPLIT, the brake →
// DISABLED, no key (or no bucket_by value) → STATIC, a propagated decision
// → UNKNOWN; graykit's own reason is in metadata.graykitReason.
// Rule names are never sent.
//
// # The evaluation context
//
// The subject is the request's, never the client's word: a targetingKey in
// the evaluation context must equal the key the middleware found, or the
// request is refused with 400 INVALID_CONTEXT (the client then falls back to
// its code defaults — never to a new variant for someone else's key). An
// empty, null or absent targetingKey (or context) is accepted and the
// request's subject decides. Other context attributes are ignored: attributes come from the
// server's [gray.WithAttributes], which a client cannot set.
//
// # Errors
//
// A body that is not JSON (or above 64 KiB) gets 400 PARSE_ERROR; a context
// that is not an object, or a targetingKey that is not a string, 400
// INVALID_CONTEXT; with [WithRequireKey], a request whose subject has no key
// 400 TARGETING_KEY_MISSING; a single evaluation of an unknown or non-client
// rollout 404 FLAG_NOT_FOUND. [WithAuth] refuses with 401 or 403 and no body, as the
// protocol's OpenAPI document has it. Other methods than POST get 405.
//
// # Browsers on another origin
//
// [WithCORS] answers preflight requests and sets the CORS headers for the
// listed origins (with credentials, so the session cookie that identifies
// the user is sent) and exposes the ETag.
//
// # Outcomes
//
// Every rollout the handler answers is decided in the request, so the
// middleware's observers count the OFREP request as one of its outcomes.
// To keep flag fetches out of a guarded rollout's error rates and
// latencies, mount the handler behind a second middleware without
// observers.
package ofrep
