// carrier-gateway console: polls /console/api/summary every few seconds and
// draws what it gets; no library, no build step.
"use strict";
(function () {
  const REFRESH_MS = 3000;
  const COLOURS = {sent: "#2f6fdf", failed: "#c0161d", receipted: "#0a7d32", received: "#8a4fd0"};
  const $ = (sel) => document.querySelector(sel);
  let timer = null;

  function el(tag, attrs, ...children) {
    const node = tag.startsWith("svg:")
      ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c === null || c === undefined ? "" : c);
    return node;
  }
  const fmt = (v, digits) => v === null || v === undefined ? "–" :
    (typeof v === "number" ? (digits === undefined ? String(v) : v.toFixed(digits)) : String(v));
  const ms = (s) => s === null || s === undefined ? "–" : (s * 1000).toFixed(1) + " ms";
  const ago = (s) => s === null || s === undefined ? "–" :
    (s < 90 ? s.toFixed(0) + " s" : s < 5400 ? (s / 60).toFixed(0) + " min" : (s / 3600).toFixed(1) + " h");

  async function api(path) {
    const response = await fetch("/console/api/" + path, {credentials: "same-origin"});
    if (response.status === 401) { showLogin(); throw new Error("unauthorized"); }
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    return response.json();
  }

  function showLogin(message) {
    clearInterval(timer); timer = null;
    $("#console").hidden = true; $("#logout").hidden = true; $("#login").hidden = false;
    $("#login-error").textContent = message || "";
  }

  function showConsole() {
    $("#login").hidden = true; $("#console").hidden = false; $("#logout").hidden = false;
    if (!timer) timer = setInterval(refresh, REFRESH_MS);
  }

  function drawBinds(carriers) {
    const body = $("#binds tbody"); body.replaceChildren();
    const episodes = [];
    for (const c of carriers) {
      for (const e of c.episodes) episodes.push(`${c.name}: ${e.kind} for ${ago(e.for_seconds)} (${e.refusals} refusals, ${e.failed} failed)`);
      if (!c.binds.length) {
        body.append(el("tr", {"data-carrier": c.name}, el("td", {}, c.name), el("td", {}, c.protocol),
          el("td", {}, ""), el("td", {class: "state state-" + (c.up ? "up" : "down")}, c.up ? "up" : "down")));
      }
      for (const b of c.binds) {
        const tps = (b.tps_limit === null ? "∞" : fmt(b.tps_limit, 1)) + " / " + (b.max_tps === null ? "∞" : fmt(b.max_tps));
        body.append(el("tr", {"data-bind": b.name},
          el("td", {}, c.name), el("td", {}, b.name + " (" + b.kind + ")"), el("td", {}, b.node || "–"),
          el("td", {class: "state state-" + b.state, title: b.reason || ""}, b.state + (b.reason ? ": " + b.reason : "")),
          el("td", {}, ago(b.for_seconds)), el("td", {}, b.window_used + " / " + b.window), el("td", {}, tps),
          el("td", {}, b.throttled + " (" + b.throttling_events + " slow-downs)"), el("td", {}, b.queue_full),
          el("td", {class: "error"}, b.last_error || "")));
      }
    }
    $("#episodes").textContent = episodes.length ? "Open episodes: " + episodes.join("; ") : "";
  }

  function drawChart(traffic, now) {
    // The x axis runs from the oldest slot (at most 15 minutes back) to now.
    const svg = $("#chart"); svg.replaceChildren();
    const W = 600, H = 200, points = traffic.points, end = now;
    const start = points.length ? Math.max(end - traffic.window, Math.min(points[0].t, end - 60)) : end - traffic.window;
    let max = 1;
    for (const p of points) for (const s of traffic.statuses) max = Math.max(max, p[s]);
    const x = (t) => ((t - start) / (end - start)) * W, y = (v) => H - 4 - (v / max) * (H - 20);
    for (let i = 1; i <= 3; i++) {
      svg.append(el("svg:line", {x1: 0, x2: W, y1: y(max * i / 3), y2: y(max * i / 3), stroke: "#e3e5ea"}));
    }
    svg.append(el("svg:text", {x: 4, y: 12, "font-size": 11, fill: "#5a6275"}, fmt(max, 1) + "/s"));
    svg.append(el("svg:text", {x: 4, y: H - 6, "font-size": 11, fill: "#5a6275"}, "-" + ago(end - start)));
    const legend = $("#legend"); legend.replaceChildren();
    for (const s of traffic.statuses) {
      const colour = COLOURS[s] || "#555";
      if (points.length) {
        const d = points.map((p, i) => (i ? "L" : "M") + x(p.t).toFixed(1) + "," + y(p[s]).toFixed(1)).join(" ");
        svg.append(el("svg:path", {d: d, fill: "none", stroke: colour, "stroke-width": 2, "data-status": s}));
      }
      const last = points.length ? points[points.length - 1][s] : 0;
      const swatch = el("span", {class: "swatch"});
      swatch.style.background = colour;  // CSSOM, which the page's CSP allows (style attributes it does not)
      legend.append(swatch, s + " " + fmt(last, 2) + "/s");
    }
  }

  function drawFigures(sum) {
    const dl = $("#figures"); dl.replaceChildren();
    const rows = [
      ["Queue depth", sum.queue.depth], ["Oldest queued", ago(sum.queue.oldest_age)],
      ["Submit latency p50", ms(sum.latency.p50)], ["p90", ms(sum.latency.p90)], ["p99", ms(sum.latency.p99)],
      ["Receipts matched", sum.receipts.matched], ["Receipts waiting", fmt(sum.receipts.waiting)],
      ["Receipts unmatched", fmt(sum.receipts.unmatched)],
      ["Callback backlog", fmt(sum.callbacks.backlog)], ["Dead callbacks", fmt(sum.callbacks.dead)],
    ];
    for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, fmt(v)));
    const body = $("#failing tbody"); body.replaceChildren();
    for (const e of sum.callbacks.failing_endpoints) body.append(el("tr", {}, el("td", {}, e.url), el("td", {}, e.count), el("td", {}, e.last_error || "")));
  }

  function sidLink(sid) {
    const a = el("a", {href: "#" + sid, "data-sid": sid}, sid);
    a.addEventListener("click", (ev) => { ev.preventDefault(); showHistory(sid); });
    return a;
  }

  function drawFailures(rows) {
    const body = $("#failures tbody"); body.replaceChildren();
    for (const m of rows) {
      body.append(el("tr", {}, el("td", {}, sidLink(m.sid)), el("td", {}, m.to), el("td", {}, m.status),
        el("td", {}, fmt(m.error_code) + " " + (m.error_message || "")),
        el("td", {}, (m.carrier_stat || "–") + " / " + (m.carrier_err || "–")), el("td", {}, m.date_updated)));
    }
  }

  async function refresh() {
    try {
      const sum = await api("summary");
      showConsole();
      $("#node").textContent = "node " + sum.node;
      $("#updated").textContent = "updated " + new Date().toLocaleTimeString();
      drawBinds(sum.carriers); drawChart(sum.traffic, sum.now); drawFigures(sum);
      drawFailures(await api("failures"));
    } catch (e) { if (e.message !== "unauthorized") $("#updated").textContent = String(e); }
  }

  function table(headers, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, fmt(c)))))));
  }

  async function showHistory(sid) {
    const box = $("#history"); box.replaceChildren("loading " + sid + "…");
    let m;
    try { m = await api("messages/" + encodeURIComponent(sid)); } catch (e) { box.textContent = String(e); return; }
    box.replaceChildren(
      el("h3", {"data-sid": m.sid}, m.sid + " — " + m.status),
      el("p", {}, `${m.direction} ${m.channel} from ${m.from_} to ${m.to} via ${m.carrier || "–"}; error ${fmt(m.error_code)} ${m.error_message || ""}; carrier stat/err ${m.carrier_stat || "–"}/${m.carrier_err || "–"}`),
      el("h4", {}, "Status events"),
      table(["When", "Status", "Error", "Detail"], [[m.date_created, "created", null, m.direction]].concat(m.events.map((e) => [e.created_at, e.status, e.error_code, e.detail]))),
      el("h4", {}, "Parts"),
      table(["Part", "Carrier", "Bind", "SMSC id", "Status", "Receipt stat", "err", "Submitted", "Receipt at"],
        m.parts.map((p) => [p.seqno + "/" + p.total, p.carrier, p.bind, p.smsc_message_id, p.status, p.stat, p.err, p.submitted_at, p.receipt_at])),
      el("h4", {}, "Callbacks"),
      table(["Kind", "URL", "State", "Attempts", "HTTP status", "Answer", "Created"],
        m.callbacks.map((c) => [c.kind, c.method + " " + c.url, c.state, c.attempts, c.http_status, c.answer, c.created_at])));
  }

  async function search(ev) {
    ev.preventDefault();
    const q = $("#search").value.trim();
    const body = $("#results tbody"); body.replaceChildren();
    if (!q) return;
    const rows = await api("search?q=" + encodeURIComponent(q));
    if (!rows.length) body.append(el("tr", {}, el("td", {}, "no message matches " + q)));
    for (const m of rows) body.append(el("tr", {}, el("td", {}, sidLink(m.sid)), el("td", {}, m.from_ + " → " + m.to),
      el("td", {}, m.status), el("td", {}, m.date_created),
      el("td", {class: "callback-http", title: "callbacks: HTTP status of each one's answer"},
        m.callback_http.length ? "callbacks " + m.callback_http.map((c) => c === null ? "–" : c).join(" ") : "")));
    if (rows.length === 1) showHistory(rows[0].sid);
  }

  async function login(ev) {
    ev.preventDefault();
    const form = new URLSearchParams({user: $("#user").value, password: $("#password").value});
    const response = await fetch("/console/login", {method: "POST", body: form, credentials: "same-origin"});
    if (response.status === 204) { $("#password").value = ""; refresh(); return; }
    let message = "HTTP " + response.status;
    try { message = (await response.json()).message; } catch (e) { /* keep the status */ }
    showLogin(message);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#login-form").addEventListener("submit", login);
    $("#search-form").addEventListener("submit", search);
    $("#logout").addEventListener("click", async () => { await fetch("/console/logout", {method: "POST"}); showLogin(); });
    if (location.hash.length > 1) showHistory(location.hash.slice(1));
    refresh();
  });
})();
