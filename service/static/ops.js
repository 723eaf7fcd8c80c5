// The operations page: refresh numbers and charts every 5 s, confirm destructive forms.
// The page works without this file; it only keeps what is on screen current.
(function () {
  "use strict";
  var REFRESH_MS = 5000;

  function pick(data, path) {
    return path.split(".").reduce(function (value, key) {
      if (value === undefined || value === null) { return undefined; }
      if (key === "length" && Array.isArray(value)) { return value.length; }
      return value[key];
    }, data);
  }

  function age(seconds) {
    if (!seconds || seconds < 1) { return "-"; }
    if (seconds < 120) { return Math.round(seconds) + "s"; }
    if (seconds < 7200) { return Math.round(seconds / 60) + "m"; }
    return (seconds / 3600).toFixed(1) + "h";
  }

  function clock(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleTimeString();
  }

  function render(data) {
    var verdicts = data.snap.totals.verdicts || {};
    data.snap.totals.verdict_sum = Object.keys(verdicts).reduce(function (sum, key) {
      return sum + verdicts[key];
    }, 0);
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var value = pick(data, el.getAttribute("data-live"));
      if (value !== undefined) { el.textContent = String(value); }
    });
    document.querySelectorAll("[data-live-age]").forEach(function (el) {
      el.textContent = age(pick(data, el.getAttribute("data-live-age")));
    });
    var badge = document.querySelector("[data-live-ready]");
    if (badge) {
      badge.textContent = data.ready.ok ? "Ready" : "Not ready";
      badge.className = "badge " + (data.ready.ok ? "ok" : "bad");
    }
    var checks = document.getElementById("ready-checks");
    if (checks) {
      checks.textContent = "";
      Object.keys(data.ready.checks).forEach(function (name) {
        var text = data.ready.checks[name];
        var li = document.createElement("li");
        li.className = text === "ok" ? "ok" : "bad";
        var b = document.createElement("b");
        b.textContent = name;
        li.appendChild(b);
        li.appendChild(document.createTextNode(" " + text));
        checks.appendChild(li);
      });
    }
    document.querySelectorAll("[data-live-clock]").forEach(function (el) {
      el.textContent = clock(data.snap.at);
    });
  }

  function refresh() {
    fetch("/ops/live", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* the next round tries again */ });
    var stamp = Date.now();
    document.querySelectorAll("img[data-chart]").forEach(function (img) {
      img.src = img.src.split("?")[0] + "?t=" + stamp;
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-time]").forEach(function (el) {
    el.textContent = clock(parseFloat(el.getAttribute("data-time")));
  });
  document.querySelectorAll("[data-live-clock]").forEach(function (el) {
    el.textContent = clock(parseFloat(el.textContent));
  });
  window.setInterval(refresh, REFRESH_MS);
}());
