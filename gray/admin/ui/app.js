// graykit operator console. Plain JavaScript, no dependencies: every value
// from the API is put on the page as text, never as HTML.
"use strict";

(function () {
  const TOKEN_KEY = "graykit-token";
  const POLL_MS = 5000;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";

  let me = null;          // {name, role, can_act}
  let rollouts = [];      // last api/rollouts answer
  let pending = null;     // {rollout, action, label, version} awaiting confirmation
  let timer = null;

  // el builds an element: attrs are set as attributes (class, data-*, …),
  // children are nodes or text.
  function el(tag, attrs, ...children) {
    const n = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      n.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  async function api(path, opts) {
    const o = opts || {};
    const headers = { "Authorization": "Bearer " + token() };
    let body;
    if (o.method === "POST") {
      headers["X-Graykit-CSRF"] = "1";
      if (o.body !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(o.body);
      }
    }
    const res = await fetch(path, { method: o.method || "GET", headers, body, credentials: "omit", cache: "no-store" });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error((data && data.error) || ("HTTP " + res.status));
      err.status = res.status;
      err.state = data && data.state; // with 409: the state in force
      throw err;
    }
    return data;
  }

  // ---- formatting ----
  const pct = (v) => (Math.round(v * 100) / 100) + "%";
  const rate = (v) => (v * 100).toFixed(2) + "%";
  const ms = (v) => v >= 1000 ? (v / 1000).toFixed(2) + " s" : (v < 10 ? v.toFixed(1) : Math.round(v)) + " ms";
  const when = (t) => {
    const d = new Date(t);
    if (isNaN(d) || d.getFullYear() < 2000) return "";
    return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  };
  const clock = (t) => { const d = new Date(t); return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); };

  function phaseOf(r) {
    // Without a plan, "running" means the configuration decides, off included.
    if (r.state && !(r.state.phase === "running" && !r.plan && !r.enabled)) return r.state.phase;
    return r.enabled ? "unmanaged" : "off";
  }

  // shareOf is the canary's share every replica serves: the shared state's,
  // or the configuration's when it decides (no plan, running).
  function shareOf(r) {
    if (r.state && (r.plan || r.state.phase !== "running")) return r.state.share;
    return r.share;
  }

  // ---- chart: one SVG with a line per variant ----
  function chart(title, lines, fmt) {
    const W = 360, H = 130, L = 46, R = 8, T = 18, B = 20;
    const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
    svg.append(el("svg:text", { x: L, y: 11 }, title));
    const pts = lines.flatMap((l) => l.points);
    if (pts.length === 0) {
      svg.append(el("svg:text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no data yet"));
      return svg;
    }
    const t0 = Math.min(...pts.map((p) => p.t)), t1 = Math.max(...pts.map((p) => p.t));
    let vmax = Math.max(...pts.map((p) => p.v));
    if (!(vmax > 0)) vmax = 1;
    vmax *= 1.1;
    const x = (t) => L + (t1 === t0 ? (W - L - R) / 2 : (t - t0) / (t1 - t0) * (W - L - R));
    const y = (v) => T + (1 - v / vmax) * (H - T - B);
    for (const f of [0, 0.5, 1]) {
      const yy = y(vmax * f);
      svg.append(el("svg:line", { x1: L, x2: W - R, y1: yy, y2: yy, class: "axis" }));
      svg.append(el("svg:text", { x: L - 4, y: yy + 3, "text-anchor": "end" }, fmt(vmax * f)));
    }
    svg.append(el("svg:text", { x: L, y: H - 5 }, clock(t0)));
    svg.append(el("svg:text", { x: W - R, y: H - 5, "text-anchor": "end" }, clock(t1)));
    for (const l of lines) {
      if (l.points.length === 0) continue;
      const d = l.points.map((p) => x(p.t).toFixed(1) + "," + y(p.v).toFixed(1)).join(" ");
      if (l.points.length === 1) {
        const p = l.points[0];
        svg.append(el("svg:circle", { cx: x(p.t), cy: y(p.v), r: 3, class: l.cls }));
      } else {
        svg.append(el("svg:polyline", { points: d, class: l.cls, "data-variant": l.name }));
      }
    }
    return svg;
  }

  function seriesOf(r, field) {
    const out = [];
    for (const v of r.metrics.variants) {
      const cls = v.variant === r.default ? "stable" : "canary";
      out.push({
        name: v.variant, cls,
        points: v.series.map((p) => ({ t: new Date(p.start).getTime(), v: p[field] })),
      });
    }
    return out;
  }

  function legend(r) {
    return el("div", { class: "legend" }, r.metrics.variants.map((v) => [
      el("span", { class: "sw " + (v.variant === r.default ? "stable" : "canary") }), v.variant,
    ]), r.metrics.source === "none" ? "" : "  · " + (r.metrics.source === "store" ? "all replicas" : "this replica"));
  }

  // ---- rollouts ----
  function stepsBar(r) {
    if (!r.plan || !r.state) return null;
    const steps = (r.plan.steps && r.plan.steps.length ? r.plan.steps : [1, 5, 20, 50, 100]);
    return el("div", { class: "steps" }, steps.map((s, i) => {
      let cls = "step";
      if (r.state.step === i) cls += " current";
      else if (r.state.step > i) cls += " done";
      return el("div", { class: cls, title: "step " + (i + 1) }, pct(s));
    }));
  }

  function lastTransition(r) {
    const t = r.state && r.state.last;
    if (!t || !t.action) return null;
    const parts = [el("b", {}, t.action), " by ", t.actor || "?", " · ", when(t.at)];
    if (t.from_share !== t.to_share) parts.push(" · " + pct(t.from_share) + " → " + pct(t.to_share));
    const box = el("div", { class: "meta last" }, "Last: ", parts);
    if (t.reason) box.append(el("div", {}, "“" + t.reason + "”"));
    const e = t.evidence;
    if (e) {
      const line = [];
      if (e.canary) line.push("canary " + e.canary.requests + " req, " + rate(e.canary.error_rate || 0) + " errors");
      if (e.stable) line.push("stable " + e.stable.requests + " req, " + rate(e.stable.error_rate || 0) + " errors");
      if (typeof e.error_diff === "number") line.push("diff " + rate(e.error_diff) + " [" + rate(e.error_lower || 0) + ", " + rate(e.error_upper || 0) + "]");
      box.append(el("div", { class: "evidence" }, "Evidence (" + (e.verdict || "judge") + "): " + line.join(" · ")));
      if (e.why && e.why !== t.reason) box.append(el("div", { class: "evidence" }, e.why));
    }
    return box;
  }

  // ACTIONS: id, label, the phases it applies in with a plan, and without
  // one (null: it needs a plan). "manual" is a share set by hand.
  const AW = "awaiting-approval";
  const ACTIONS = [
    ["approve", "Approve…", [AW], null],
    ["start", "Start over", ["running", AW, "paused", "rolled-back", "promoted", "manual"], null],
    ["advance", "Advance", ["running", AW, "paused", "manual"], null],
    ["pause", "Pause", ["running", AW], null],
    ["resume", "Resume", ["paused", "rolled-back", "manual"], ["rolled-back"]],
    ["set-share", "Set share…", ["running", AW, "paused", "manual"], ["running", "manual", "paused", "promoted"]],
    ["promote", "Promote", ["running", AW, "paused", "manual"], ["running", "manual", "paused"]],
    ["brake", "Brake", ["running", AW, "paused", "promoted", "manual"], ["running", "manual", "paused", "promoted"]],
  ];

  // awaitedShare is the step a rollout awaiting approval would enter.
  function awaitedShare(r) {
    const steps = (r.plan && r.plan.steps && r.plan.steps.length ? r.plan.steps : [1, 5, 20, 50, 100]);
    return steps.find((s) => s > r.state.share) || 100;
  }

  // approvalBox shows, on a rollout awaiting approval, what it awaits and
  // who asked; the evidence is the last transition's, shown below it.
  function approvalBox(r) {
    if (!r.state || r.state.phase !== AW) return null;
    const t = r.state.last || {};
    return el("div", { class: "approval" },
      el("b", {}, "Awaiting approval"), " to enter " + pct(awaitedShare(r)) +
      " · asked by " + (t.actor || "?") + " · " + when(t.at) + ". The judge holds the share and still rolls back a worse canary.");
  }

  // pendingApprovals lists every rollout awaiting approval, above the cards.
  function pendingApprovals() {
    const waiting = rollouts.filter((r) => r.state && r.state.phase === AW);
    if (waiting.length === 0) return null;
    return el("div", { id: "approvals", class: "approval" },
      el("b", {}, "Pending approvals: "),
      waiting.map((r, i) => [i ? ", " : "", r.name + " → " + pct(awaitedShare(r))]));
  }

  function actionButtons(r) {
    const phase = phaseOf(r);
    const can = me && me.can_act && r.managed;
    const box = el("div", { class: "actions" });
    for (const [id, label, planned, unplanned] of ACTIONS) {
      const phases = r.plan ? planned : unplanned;
      let title = "";
      if (!r.managed) title = "the console's backend does not manage this rollout";
      else if (!me || !me.can_act) title = "needs the operator role";
      else if (!phases) title = "needs a plan: this rollout has none";
      const b = el("button", {
        type: "button", "data-action": id, class: id === "brake" ? "danger" : null,
        disabled: !can || !phases || !phases.includes(phase), title,
      }, label);
      b.addEventListener("click", () => ask(r, id, label));
      box.append(b);
    }
    return box;
  }

  function variantTable(r) {
    const rows = r.metrics.variants.map((v) => el("tr", { "data-variant": v.variant },
      el("td", {}, el("span", { class: "variant " + (v.variant === r.default ? "stable" : "canary") }, v.variant)),
      el("td", { class: "num" }, v.total.requests),
      el("td", { class: "num" }, rate(v.total.error_rate)),
      el("td", { class: "num" }, ms(v.total.p50_ms)),
      el("td", { class: "num" }, ms(v.total.p95_ms)),
      el("td", { class: "num" }, ms(v.total.p99_ms))));
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 6, class: "meta" }, "no requests in the window")));
    return el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "variant"), el("th", { class: "num" }, "requests"),
        el("th", { class: "num" }, "errors"), el("th", { class: "num" }, "p50"),
        el("th", { class: "num" }, "p95"), el("th", { class: "num" }, "p99"))),
      el("tbody", {}, rows));
  }

  // contractBox shows, per migration bound to the rollout, whether any
  // replica still reads or writes its old side (package dualwrite/contract).
  function contractBox(r) {
    if (!r.contract || r.contract.length === 0) return null;
    const text = { "in-use": "old side in use", "unused": "old side unused: ready to contract", "no-data": "no replica reports" };
    return el("div", { class: "contract" },
      ...r.contract.map((c) => el("div", { "data-migration": c.migration, "data-verdict": c.verdict },
        el("span", { class: "badge verdict " + c.verdict }, c.migration + ": " + (text[c.verdict] || c.verdict)),
        c.verdict === "in-use"
          ? el("span", { class: "meta" }, " " + c.old_reads + " reads, " + c.old_writes + " writes of the old side; last " +
            new Date(c.last_old_use).toLocaleString() + " on " +
            c.replicas.filter((x) => x.old_reads + x.old_writes > 0).map((x) => x.replica).join(", "))
          : el("span", { class: "meta" }, " " + c.replicas.length + " replica" + (c.replicas.length === 1 ? "" : "s") + " reporting"))));
  }

  function card(r) {
    const phase = phaseOf(r);
    const share = shareOf(r);
    const canary = (r.variants[0] && r.variants[0].name) || "canary";
    const stepText = r.state && r.plan
      ? (r.state.step >= 0 ? "step " + (r.state.step + 1) + " of " + ((r.plan.steps || []).length || 5) : "before the first step")
      : "no plan";
    return el("div", { class: "card", "data-rollout": r.name },
      el("div", { class: "card-head" },
        el("h3", {}, r.name),
        el("span", { class: "badge phase " + phase }, phase),
        el("span", { class: "meta share" }, canary + " " + pct(share)),
        el("span", { class: "meta" }, stepText),
        el("span", { class: "meta" }, "salt " + r.salt + " · " + r.rules.length + " rule" + (r.rules.length === 1 ? "" : "s") +
          (r.bucket_by && r.bucket_by !== "key" ? " · by " + r.bucket_by : "") +
          (r.layer ? " · layer " + r.layer + " (" + r.slice + ")" : "") +
          (r.layout === "ring" ? " · ring layout" : "") +
          (r.prerequisites || []).map((p) => " · needs " + p.rollout + " in " + p.variants.join("/")).join("")),
        pendingHere(r),
        r.state_error ? el("span", { class: "error" }, r.state_error) : null),
      el("div", { class: "grid" },
        el("div", {},
          el("div", { class: "sharebar", title: pct(share) }, shareFill(share)),
          stepsBar(r),
          approvalBox(r),
          lastTransition(r),
          contractBox(r),
          actionButtons(r)),
        el("div", {}, chart("error rate", seriesOf(r, "error_rate"), rate), legend(r)),
        el("div", {}, chart("p95 latency", seriesOf(r, "p95_ms"), ms), variantTable(r))));
  }

  // pendingHere says when this replica has not applied the shared state yet.
  function pendingHere(r) {
    if (!r.state) return null;
    const note = () => el("span", { class: "meta pending" },
      "(this replica: " + (r.enabled ? pct(r.share) : "off") + " until its next poll)");
    const on = r.state.phase !== "rolled-back";
    if (!r.plan) {
      // Without a plan the state overrides only what it changes (see guard.State).
      const o = r.override || {};
      if (!on) return r.enabled ? note() : null;
      if (o.enabled === false) return note();
      if (r.state.phase === "running") return typeof o.percent === "number" ? note() : null;
      return Math.abs(r.share - r.state.share) < 1e-9 ? null : note();
    }
    if (r.enabled === on && (!on || Math.abs(r.share - r.state.share) < 1e-9)) return null;
    return note();
  }

  function shareFill(share) {
    const d = el("div");
    d.style.width = Math.max(0, Math.min(100, share)) + "%";
    return d;
  }

  function renderRollouts() {
    const box = $("rollouts");
    const pending = pendingApprovals();
    box.replaceChildren(...(pending ? [pending] : []),
      ...(rollouts.length ? rollouts.map(card) : [el("p", { class: "meta" }, "No rollouts configured.")]));
    const sel = $("explain-rollout");
    const cur = sel.value;
    sel.replaceChildren(...rollouts.map((r) => el("option", { value: r.name }, r.name)));
    if (cur && rollouts.some((r) => r.name === cur)) sel.value = cur;
  }

  // ---- audit ----
  function renderAudit(entries) {
    const rows = entries.map((e) => el("tr", { "data-seq": e.seq },
      el("td", { class: "nowrap" }, when(e.at)),
      el("td", {}, e.rollout),
      el("td", {}, el("b", {}, e.action)),
      el("td", { class: "nowrap" }, e.actor),
      el("td", {}, e.from_phase && e.from_phase !== e.to_phase ? e.from_phase + " → " + e.to_phase : e.to_phase),
      el("td", { class: "num nowrap" }, pct(e.from_share) + " → " + pct(e.to_share)),
      el("td", {}, e.reason || "")));
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: 7, class: "meta" }, "Nothing yet.")));
    $("audit").replaceChildren(el("table", { id: "audit-table" },
      el("thead", {}, el("tr", {}, ["when", "rollout", "action", "who", "phase", "share", "reason"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)));
  }

  // ---- confirmation and actions ----

  // RELATIVE actions mean something only for the state they were decided
  // on ("the next step" after 1% is 5%): the page sends the version it
  // showed, and the server refuses with 409 if the state has moved since.
  // Approve, too, approves the step it showed. The others (start, brake,
  // promote, set-share, pause) mean the same on any
  // state; a brake must hold whatever happened meanwhile.
  const RELATIVE = ["advance", "resume", "approve"];

  // movedText says what a rollout's state moved to since the page showed
  // it, from the state in a 409 answer.
  function movedText(name, st) {
    const r = rollouts.find((x) => x.name === name) || {};
    const where = r.plan && st.step >= 0 ? "step " + (st.step + 1) + " (" + pct(st.share) + ")" : pct(st.share);
    const what = {
      running: "moved to " + where,
      paused: "was paused at " + where,
      manual: "was set to " + pct(st.share) + " by hand",
      "rolled-back": "was rolled back (" + pct(0) + ")",
      "awaiting-approval": "awaits approval at " + where,
      promoted: "was promoted (" + pct(100) + ")",
    }[st.phase] || "changed";
    const by = st.last && st.last.action ? " (" + st.last.action + " by " + (st.last.actor || "?") + ")" : "";
    return name + " " + what + " since you looked" + by + "; nothing was changed.";
  }

  function ask(r, action, label) {
    const version = RELATIVE.includes(action) && r.state ? r.state.version : undefined;
    pending = { rollout: r.name, action, label: label.replace("…", ""), version };
    $("confirm-title").textContent = label.replace("…", "") + " " + r.name + "?";
    const texts = {
      approve: r.state && r.state.phase === AW ? "Let the rollout enter " + pct(awaitedShare(r)) + " on the evidence shown"
        + (r.state.last && r.state.last.evidence ? ": canary " + rate(r.state.last.evidence.canary.error_rate || 0)
          + " vs stable " + rate(r.state.last.evidence.stable.error_rate || 0) + " errors." : ".") : "",
      start: "Begin a new run of the plan at its first step, with fresh evidence (e.g. after a deploy).",
      advance: "Move to the next step of the plan.",
      pause: "Keep the share where it is and stop the automatic judge until someone resumes.",
      resume: r.plan ? "Resume the rollout (after a brake it starts over at the first step)."
        : "Lift the brake: back to what it stopped (the configured share, or the share set by hand).",
      "set-share": r.plan ? "Set the canary's share by hand; the phase stays."
        : "Set the canary's share by hand, on every replica; it holds over the configuration's.",
      promote: "Give the new variant 100% of users and end the rollout.",
      brake: "Send every user to the default variant, on every replica, now.",
    };
    $("confirm-text").textContent = texts[action] || "";
    $("confirm-share-label").hidden = action !== "set-share";
    $("confirm-share").value = shareOf(r);
    $("confirm-reason").value = "";
    $("confirm-error").textContent = "";
    $("confirm-ok").textContent = label.replace("…", "");
    $("confirm").hidden = false;
    $("confirm-reason").focus();
  }

  async function confirmAction(ev) {
    ev.preventDefault();
    if (!pending) return;
    const body = { reason: $("confirm-reason").value };
    if (pending.action === "set-share") body.share = parseFloat($("confirm-share").value);
    if (pending.version !== undefined) body.version = pending.version;
    try {
      await api("api/rollouts/" + encodeURIComponent(pending.rollout) + "/" + pending.action, { method: "POST", body });
      $("confirm").hidden = true;
      pending = null;
      await refresh();
    } catch (e) {
      if (e.status === 409 && e.state) {
        // The page showed an older state: say what changed, show the
        // current one, and let a second confirmation act on it.
        $("confirm-error").textContent = movedText(pending.rollout, e.state) +
          " Confirm again to " + pending.label.toLowerCase() + " from there, or cancel.";
        if (pending.version !== undefined) pending.version = e.state.version;
        await refresh();
        return;
      }
      $("confirm-error").textContent = e.message;
    }
  }

  // ---- explain ----
  function pairs(text) {
    const out = {};
    for (const line of text.split("\n")) {
      const s = line.trim();
      if (!s) continue;
      const i = s.indexOf("=");
      if (i <= 0) throw new Error("“" + s + "” is not NAME=VALUE");
      out[s.slice(0, i).trim()] = s.slice(i + 1).trim();
    }
    return out;
  }

  async function explain(ev) {
    ev.preventDefault();
    const box = $("explain-result");
    try {
      const req = {
        rollout: $("explain-rollout").value, key: $("explain-key").value.trim(),
        headers: pairs($("explain-headers").value), cookies: pairs($("explain-cookies").value),
        attrs: pairs($("explain-attrs").value), ip: $("explain-ip").value.trim(), path: $("explain-path").value.trim(),
      };
      const res = await api("api/explain", { method: "POST", body: req });
      const d = res.decision;
      const rows = [];
      (res.prerequisites || []).forEach((s, i) => rows.push(el("tr", { "data-rule": "" },
        el("td", {}, i === 0 ? "(prerequisites)" : ""), el("td", {}, ""),
        el("td", {}, s.condition), el("td", {}, JSON.stringify(s.value)),
        el("td", { class: s.matched ? "ok" : "no" }, s.matched ? "yes" : "no"))));
      for (const r of res.rules) {
        if (r.steps.length === 0) rows.push(el("tr", { "data-rule": r.rule }, el("td", {}, r.rule), el("td", {}, r.outcome), el("td", {}), el("td", {}), el("td", {})));
        r.steps.forEach((s, i) => rows.push(el("tr", { "data-rule": r.rule },
          el("td", {}, i === 0 ? r.rule : ""), el("td", {}, i === 0 ? r.outcome : ""),
          el("td", {}, s.condition), el("td", {}, s.present ? JSON.stringify(s.value) : "(absent)"),
          el("td", { class: s.matched ? "ok" : "no" }, s.matched ? "yes" : "no"))));
      }
      box.replaceChildren(
        el("div", { class: "summary" },
          el("span", { id: "explain-variant", class: "variant " + (d.new ? "canary" : "stable") }, d.variant),
          " · bucket " + (d.bucket >= 0 ? d.bucket : "none") +
            (res.bucket_by && res.bucket_by !== "key" ? " by " + res.bucket_by : "") +
            (res.layer ? " · layer " + res.layer + " (slice " + res.slice + ")" : "") +
            " · " + d.reason + (d.rule ? " “" + d.rule + "”" : ""),
          el("div", { id: "explain-summary" }, res.summary)),
        rows.length ? el("table", {},
          el("thead", {}, el("tr", {}, ["rule", "outcome", "condition", "value", "held"].map((h) => el("th", {}, h)))),
          el("tbody", {}, rows)) : el("p", { class: "meta" }, "This rollout has no rules or prerequisites."));
    } catch (e) {
      box.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  // ---- subject overrides ----
  function showSubjects(res) {
    const box = $("subject-result");
    if (!res.subjects.length) { box.replaceChildren(el("p", { class: "meta" }, "No subject overrides.")); return; }
    box.replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ["key", "variant", "by", "reason"].map((h) => el("th", {}, h)))),
      el("tbody", {}, res.subjects.map((o) => el("tr", {}, el("td", {}, o.key), el("td", {}, o.variant), el("td", {}, o.actor), el("td", {}, o.reason))))),
      res.note ? el("p", { class: "meta" }, res.note) : "");
  }

  async function subjects(op, ev) {
    if (ev) ev.preventDefault();
    const rollout = encodeURIComponent($("explain-rollout").value);
    try {
      if (op === "list") {
        showSubjects(await api("api/rollouts/" + rollout + "/subjects"));
        return;
      }
      const body = { key: $("explain-key").value.trim(), reason: $("subject-reason").value.trim() };
      if (op === "put") body.variant = $("subject-variant").value.trim();
      showSubjects(await api("api/rollouts/" + rollout + "/subjects/" + op, { method: "POST", body }));
    } catch (e) {
      $("subject-result").replaceChildren(el("p", { class: "error" }, e.message));
    }
  }

  // ---- loading ----
  async function refresh() {
    try {
      const [rs, audit] = await Promise.all([api("api/rollouts"), api("api/audit?limit=50")]);
      rollouts = rs.rollouts;
      renderRollouts();
      renderAudit(audit.entries);
      $("updated").textContent = "updated " + new Date(rs.now).toLocaleTimeString();
      $("banner").hidden = true;
    } catch (e) {
      if (e.status === 401) return signOut("Your token was refused.");
      $("banner").textContent = "Cannot reach the console API: " + e.message;
      $("banner").hidden = false;
    }
  }

  async function start() {
    try {
      me = await api("api/whoami");
    } catch (e) {
      return signOut(e.status === 401 ? "That token was refused." : e.message);
    }
    $("login").hidden = true;
    $("app").hidden = false;
    const out = el("button", { type: "button", id: "signout" }, "Sign out");
    out.addEventListener("click", () => signOut(""));
    $("who").replaceChildren(me.name + " · " + me.role + (me.can_act ? "" : " (read-only)"), out);
    await refresh();
    clearInterval(timer);
    timer = setInterval(refresh, POLL_MS);
  }

  function signOut(msg) {
    clearInterval(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    me = null;
    $("app").hidden = true;
    $("who").replaceChildren();
    $("login").hidden = false;
    $("login-error").textContent = msg || "";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
      $("token").value = "";
      start();
    });
    $("confirm-form").addEventListener("submit", confirmAction);
    $("confirm-cancel").addEventListener("click", () => { $("confirm").hidden = true; pending = null; });
    $("explain-form").addEventListener("submit", explain);
    $("subject-form").addEventListener("submit", (ev) => subjects("put", ev));
    $("subject-remove").addEventListener("click", () => subjects("remove"));
    $("subject-list").addEventListener("click", () => subjects("list"));
    if (token()) start(); else signOut("");
  });
})();
