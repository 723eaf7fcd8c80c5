// The review queue page. Comment text only ever reaches the page through textContent and
// createElement: no innerHTML, no inline handlers (the CSP forbids inline scripts anyway).
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const queueEl = document.getElementById("queue");
  const detailEl = document.getElementById("detail");
  const layoutEl = document.querySelector(".layout");
  const statusLine = document.getElementById("status-line");
  const emptyEl = document.getElementById("empty");
  const moreEl = document.getElementById("more");
  const helpEl = document.getElementById("help");
  const selectedCount = document.getElementById("selected-count");
  const state = {
    site: "", status: "held", sort: "newest", q: "",
    items: [], current: 0, cursor: "", selected: new Set(), undo: [], busy: false,
  };
  const ACTION_NAMES = { approve: "approved", reject: "rejected", spam: "spam", not_spam: "not spam" };

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  async function api(method, path, body) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, options);
    if (response.status === 401) { window.location.href = "/login?next=/moderate"; return null; }
    const data = await response.json();
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }

  function say(text) { statusLine.textContent = text; }
  const key = (item) => item.site_id + "|" + item.record_id;

  function queryString(cursor) {
    const params = new URLSearchParams({ status: state.status, sort: state.sort, limit: "50" });
    if (state.site) params.set("site", state.site);
    if (state.q) params.set("q", state.q);
    if (cursor) params.set("cursor", cursor);
    return params.toString();
  }

  async function load(append) {
    const page = await api("GET", "/v1/moderation/queue?" + queryString(append ? state.cursor : ""));
    if (!page) return;
    state.items = append ? state.items.concat(page.items) : page.items;
    state.cursor = page.has_more ? page.cursor : "";
    if (!append) { state.current = 0; state.selected.clear(); }
    showCounts(page.counts);
    render();
  }

  function showCounts(counts) {
    let total = 0;
    counts.forEach((c) => {
      total += c.held;
      const badge = document.querySelector('[data-count-site="' + CSS.escape(c.site_id) + '"]');
      if (badge) badge.textContent = String(c.held);
    });
    const all = document.querySelector('[data-count-site=""]');
    if (all && !state.site) all.textContent = String(total);
    document.title = "(" + total + ") Review queue · Commentguard";
  }

  async function refreshCounts() {
    const params = state.site ? "?site=" + encodeURIComponent(state.site) : "";
    const counts = await api("GET", "/v1/moderation/counts" + params);
    if (counts) showCounts(counts);
  }

  function bars(scores) {
    const box = el("div", { className: "bars" });
    Object.entries(scores).sort((a, b) => b[1] - a[1]).slice(0, 4).forEach(([name, value]) => {
      box.appendChild(el("span", { text: name }));
      box.appendChild(el("meter", { min: "0", max: "1", low: "0.5", high: "0.8", optimum: "0", value: String(value), title: name + " " + value.toFixed(2) }));
      box.appendChild(el("span", { text: value.toFixed(2) }));
    });
    return box;
  }

  function textWithSpans(segments) {
    const box = el("div", { className: "text", dir: "auto" });
    segments.forEach((segment) => {
      if (segment.codes && segment.codes.length) {
        box.appendChild(el("mark", { text: segment.text, title: segment.codes.join(", ") }));
      } else {
        box.appendChild(document.createTextNode(segment.text));
      }
    });
    return box;
  }

  function actionButton(name, label, item) {
    const button = el("button", { type: "button", className: name, text: label, "data-action": name });
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      state.current = state.items.indexOf(item);
      decide(name);
    });
    return button;
  }

  function renderItem(item, index) {
    const node = el("li", {
      className: "item" + (index === state.current ? " current" : "") + (state.selected.has(key(item)) ? " selected" : ""),
      "data-record": item.record_id,
      "data-site": item.site_id,
    }, [
      el("div", { className: "meta" }, [
        el("span", { className: "badge " + item.status, text: item.status }),
        el("strong", { className: "author", text: item.author_name || "(anonymous)" }),
        el("span", { text: "on " + (item.post_title || "(untitled post)") }),
        el("span", { text: new Date(item.received_at * 1000).toLocaleString() }),
        el("span", { text: item.decided_by === "auto" ? "auto" : item.decided_by }),
      ]),
      textWithSpans(item.segments),
      el("ul", { className: "reasons", "aria-label": "Why it was held" },
        item.reasons.map((r) => el("li", { text: r.code + (r.detail ? ": " + r.detail : ""), title: r.detail || r.code }))),
      bars(item.scores),
      el("div", { className: "actions" }, [
        actionButton("approve", "Approve (a)", item),
        actionButton("reject", "Reject (r)", item),
        actionButton("spam", "Spam (s)", item),
        actionButton("not_spam", "Not spam (n)", item),
      ]),
    ]);
    node.addEventListener("click", () => { state.current = index; render(); });
    node.addEventListener("dblclick", () => { state.current = index; showDetail(); });
    return node;
  }

  function render() {
    queueEl.replaceChildren(...state.items.map(renderItem));
    emptyEl.hidden = state.items.length > 0;
    moreEl.hidden = !state.cursor;
    selectedCount.textContent = state.selected.size ? state.selected.size + " selected" : "";
    const current = queueEl.children[state.current];
    if (current) current.scrollIntoView({ block: "nearest" });
  }

  function move(by) {
    if (!state.items.length) return;
    state.current = Math.max(0, Math.min(state.items.length - 1, state.current + by));
    render();
    if (!detailEl.hidden) showDetail();
  }

  function remove(keys) {
    const currentKey = state.items[state.current] && key(state.items[state.current]);
    state.items = state.items.filter((item) => !keys.has(key(item)));
    keys.forEach((k) => state.selected.delete(k));
    const stillThere = state.items.findIndex((item) => key(item) === currentKey);
    state.current = Math.max(0, Math.min(stillThere >= 0 ? stillThere : state.current, state.items.length - 1));
  }

  async function decide(action) {
    if (state.busy) return;
    state.busy = true;
    try {
      if (state.selected.size) {
        const items = [...state.selected].map((k) => { const [site_id, record_id] = k.split("|"); return { site_id, record_id }; });
        const result = await api("POST", "/v1/moderation/bulk", { action, items });
        const done = new Set(result.results.filter((r) => r.ok).map((r) => r.site_id + "|" + r.record_id));
        if (state.status === "held") remove(done); else state.selected.clear();
        say(result.decided + " comments " + ACTION_NAMES[action]);
      } else {
        const item = state.items[state.current];
        if (!item) return;
        const path = "/v1/moderation/items/" + encodeURIComponent(item.site_id) + "/" + encodeURIComponent(item.record_id);
        const result = await api("POST", path + "/decision", { action, expected_version: item.version });
        state.undo.push({ site_id: item.site_id, record_id: item.record_id });
        if (state.status !== result.status) remove(new Set([key(item)]));
        else { item.version = result.version; item.status = result.status; }
        say("Comment " + ACTION_NAMES[action] + ". Press u to undo.");
      }
      render();
      if (!detailEl.hidden) showDetail();
      await refreshCounts();
    } catch (error) {
      say("Could not decide: " + error.message);
    } finally {
      state.busy = false;
    }
  }

  async function undoLast() {
    const last = state.undo.pop();
    if (!last) { say("Nothing to undo."); return; }
    try {
      await api("POST", "/v1/moderation/items/" + encodeURIComponent(last.site_id) + "/" + encodeURIComponent(last.record_id) + "/undo", {});
      say("Undone.");
      await load(false);
    } catch (error) {
      say("Could not undo: " + error.message);
    }
  }

  function toggleSelect() {
    const item = state.items[state.current];
    if (!item) return;
    const k = key(item);
    if (state.selected.has(k)) state.selected.delete(k); else state.selected.add(k);
    render();
  }

  async function showDetail() {
    const item = state.items[state.current];
    if (!item) return;
    const path = "/v1/moderation/items/" + encodeURIComponent(item.site_id) + "/" + encodeURIComponent(item.record_id);
    const detail = await api("GET", path);
    if (!detail) return;
    const rep = detail.reputation || {};
    const postLink = detail.item.post_url
      ? el("a", { href: detail.item.post_url, rel: "noopener noreferrer nofollow", target: "_blank", text: detail.item.post_title || detail.item.post_url })
      : el("span", { text: detail.item.post_title || "(no post link)" });
    detailEl.replaceChildren(
      el("h3", { text: "Post" }), postLink,
      el("p", { className: "muted", text: detail.post_excerpt || "" }),
      el("h3", { text: "Author" }),
      el("p", { className: "author-detail", text: [detail.author.name, detail.author.email, detail.author.ip].filter(Boolean).join(" · ") }),
      el("p", { className: "muted", text: "approved " + (rep.approved || 0) + " · spam " + (rep.spam || 0) + " · rejected " + (rep.rejected || 0) + " · held " + (rep.held || 0) }),
      el("h3", { text: "Earlier comments on this site" }),
      el("ul", { className: "history" }, detail.history.length
        ? detail.history.map((h) => el("li", {}, [el("span", { className: "badge " + h.status, text: h.status }), document.createTextNode(" " + h.content)]))
        : [el("li", { className: "muted", text: "none" })]),
      el("h3", { text: "Callbacks" }),
      el("ul", {}, detail.deliveries.length
        ? detail.deliveries.map((d) => el("li", { text: "v" + d.version + " " + d.event + ": " + d.status + (d.last_error ? " (" + d.last_error + ")" : "") }))
        : [el("li", { className: "muted", text: "no callback URL" })]),
    );
    detailEl.hidden = false;
    layoutEl.classList.add("with-detail");
  }

  function hideDetail() {
    detailEl.hidden = true;
    layoutEl.classList.remove("with-detail");
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("input, select, textarea")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = { a: "approve", r: "reject", s: "spam", n: "not_spam" };
    if (actions[event.key]) { decide(actions[event.key]); }
    else if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "x") toggleSelect();
    else if (event.key === "u") undoLast();
    else if (event.key === "h" || event.key === "Enter") { if (detailEl.hidden) showDetail(); else hideDetail(); }
    else if (event.key === "Escape") hideDetail();
    else if (event.key === "?") { if (helpEl.open) helpEl.close(); else helpEl.showModal(); }
    else return;
    event.preventDefault();
  });

  document.getElementById("help-button").addEventListener("click", () => helpEl.showModal());
  moreEl.addEventListener("click", () => load(true));
  document.getElementById("status").addEventListener("change", (e) => { state.status = e.target.value; load(false); });
  document.getElementById("sort").addEventListener("change", (e) => { state.sort = e.target.value; load(false); });
  let searchTimer = 0;
  document.getElementById("search").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => { state.q = e.target.value; load(false); }, 250);
  });
  document.querySelectorAll(".site-link").forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    state.site = link.dataset.site;
    document.querySelectorAll(".site-link").forEach((l) => l.classList.toggle("active", l === link));
    load(false);
  }));

  load(false).catch((error) => say("Could not load the queue: " + error.message));
  window.setInterval(() => { refreshCounts().catch(() => {}); }, 15000);
})();
