/* Shared helpers. Data from the API is only ever put into the page with textContent / attributes, never innerHTML. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("nw-i18n").textContent);
  var NW = window.NW = {
    lang: cfg.lang,
    t: function (key) { return cfg.t[key] || key; },
    /* An alert's title in the page language: its template key + parameters (service/alerts/titles.py, same
       {name} substitution); the stored English title for alerts without a key. */
    title: function (alert) {
      var tpl = alert.title_key && (cfg.titles || {})[alert.title_key], params = alert.title_params || {};
      if (!tpl) return alert.title || alert.rule || alert.id;
      return tpl.replace(/\{(\w+)\}/g, function (m, name) { return name in params ? String(params[name]) : m; });
    },
    el: function (tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "cls") node.className = attrs[k];
        else node.setAttribute(k, attrs[k]);
      });
      (children || []).forEach(function (c) {
        if (c === null || c === undefined) return;
        node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
      });
      return node;
    },
    clear: function (node) { while (node.firstChild) node.removeChild(node.firstChild); },
    api: function (method, path, body) {
      var opts = {method: method, credentials: "same-origin",
                  headers: {"X-Requested-With": "narrawatch", "Accept": "application/json"}};
      if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
      return fetch(path, opts).then(function (r) {
        if (r.ok) return r.status === 204 ? null : r.json();
        /* a refusal reads as the API's own message ("assignee: no user named ..."), not "HTTP 422" */
        return r.json().catch(function () { return {}; }).then(function (data) {
          var d = data && data.detail, text = (data && data.message) || (d && d.message) ||
            (typeof d === "string" ? d : "") || r.statusText || String(r.status);
          var e = new Error(text); e.status = r.status; e.body = data; throw e;
        });
      });
    },
    fmtDate: function (iso) {
      if (!iso) return "";
      var d = new Date(iso);
      return isNaN(d) ? String(iso) : d.toISOString().slice(0, 16).replace("T", " ");
    },
    httpUrl: function (u) { return (typeof u === "string" && /^https?:\/\//i.test(u)) ? u : null; },
    /* The tipline tips behind an alert or a narrative (GET /tipline/tips?alert=|narrative=): a count and the
       newest tips, appended to `box` when there are any; `then(body)` lets the caller add actions. */
    tips: function (box, query, then) {
      return NW.api("GET", "/tipline/tips?" + query + "&limit=5").then(function (body) {
        if (!body || !body.count) return;
        box.appendChild(NW.el("h3", {text: NW.t("tips") + " (" + body.count + ")"}));
        box.appendChild(NW.el("ul", {cls: "tips-list"}, body.tips.map(function (t) {
          var url = NW.httpUrl(t.claim_url);
          return NW.el("li", {cls: "post-text"}, [NW.fmtDate(t.created_at) + " · " + t.channel + ": " + t.text,
            url ? NW.el("a", {href: url, rel: "noopener noreferrer nofollow", target: "_blank", text: " ↗"}) : null]);
        })));
        if (then) then(body);
      }).catch(function () { /* a role without tipline:read simply sees no tips */ });
    }
  };
  return NW;
})();
