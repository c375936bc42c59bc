/* One narrative: metadata, profile (platforms, top spreaders, alerts, a search), timeline (posts per day), its most
   engaging posts, from GET /narratives/{id}; rename, merge and split (the ticked posts to a new narrative) through
   PATCH /narratives/{id}, POST .../merge and POST .../split. */
(function () {
  "use strict";
  var NW = window.NW, title = document.getElementById("narrative-title"), id = title.dataset.id;
  var meta = document.getElementById("narrative-meta"), list = document.getElementById("narrative-posts");
  function dd(term, value) { meta.appendChild(NW.el("dt", {text: term})); meta.appendChild(NW.el("dd", {text: value})); }
  function timeline(n, posts) {
    var series = n.timeline || n.histogram || null, labels, values;
    if (Array.isArray(series) && series.length) {
      labels = series.map(function (b) { return String(b.bucket || b.day || b.date || b[0]).slice(0, 10); });
      values = series.map(function (b) { return b.count != null ? b.count : (b.posts != null ? b.posts : b[1]); });
    } else {
      var counts = {};
      posts.forEach(function (p) { var d = String(p.created_at || "").slice(0, 10); counts[d] = (counts[d] || 0) + 1; });
      labels = Object.keys(counts).sort(); values = labels.map(function (d) { return counts[d]; });
    }
    if (typeof Chart === "undefined" || !labels.length) return;
    new Chart(document.getElementById("timeline-chart"), {type: "bar", data: {labels: labels, datasets: [
      {label: NW.t("posts"), data: values, backgroundColor: "#0969da"}]},
      options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
  }
  function fill(box, items) {
    NW.clear(box);
    items.forEach(function (item) { box.appendChild(item); });
    if (!items.length) box.appendChild(NW.el("li", {cls: "muted", text: "–"}));
  }
  function profile(n) {
    var plats = n.platforms || {}, spread = (n.top_spreaders || {}).by_posts || [];
    fill(document.getElementById("profile-platforms"), Object.keys(plats).map(function (k) {
      return NW.el("li", {text: k + ": " + plats[k]}); }));
    fill(document.getElementById("profile-spreaders"), spread.map(function (s) {
      return NW.el("li", {text: s.account + " · " + s.posts + " · " + s.engagement}); }));
    fill(document.getElementById("profile-alerts"), (n.alerts || []).map(function (a) {
      return NW.el("li", {}, [NW.el("a", {href: "/ui/pr?alert=" + encodeURIComponent(a.id), text: NW.title ? NW.title(a) : a.title}),
                             NW.el("span", {cls: "muted", text: " " + a.severity + " · " + a.status})]); }));
    var q = (n.search || "").split("?")[1] || "";
    document.getElementById("profile-search").href = "/ui/analyst?" + q;
  }
  var msg = document.getElementById("edit-msg"), SPLIT_MAX = 100;  /* posts listed (and pickable for a split) */
  function edit(method, path, body) {
    msg.className = ""; msg.textContent = NW.t("loading");
    NW.api(method, path, body).then(function (n) {
      msg.textContent = msg.dataset.saved;  /* the page again, with the edited narrative's figures and chart */
      window.location.href = "/ui/analyst/narratives/" + encodeURIComponent(n.id);
    }).catch(function (e) { msg.className = "error"; msg.textContent = e.message; });
  }
  document.getElementById("rename-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    edit("PATCH", "/narratives/" + encodeURIComponent(id), {name: document.getElementById("rename-input").value});
  });
  document.getElementById("merge-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var ids = document.getElementById("merge-input").value.split(/[\s,]+/).filter(Boolean);
    edit("POST", "/narratives/" + encodeURIComponent(id) + "/merge", {narratives: ids});
  });
  document.getElementById("split-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var picked = Array.prototype.map.call(list.querySelectorAll("input.split-pick:checked"),
                                          function (box) { return box.value; });
    if (!picked.length) { msg.className = "error"; msg.textContent = msg.dataset.splitNone; return; }
    edit("POST", "/narratives/" + encodeURIComponent(id) + "/split",
         {post_ids: picked, name: document.getElementById("split-name").value || null});
  });
  function load() { NW.api("GET", "/narratives/" + encodeURIComponent(id) + "?top=" + SPLIT_MAX).then(function (body) {
    var n = body.narrative || body;
    var posts = body.top_posts || body.posts || body.examples || body.example_posts || [];
    title.textContent = n.label || n.title || n.id;
    dd(NW.t("campaign"), n.campaign || "");
    dd(NW.t("size"), String(n.size != null ? n.size : posts.length));
    dd(NW.t("keywords"), (n.keywords || []).join(", "));
    dd(NW.t("first_seen"), NW.fmtDate(n.first_seen)); dd(NW.t("last_seen"), NW.fmtDate(n.last_seen));
    if (n.hoax_share != null) dd(NW.t("hoax"), (Math.round(n.hoax_share * 1000) / 10) + "%");
    var mix = n.sentiment_mix || {};
    dd(NW.t("sentiment"), Object.keys(mix).map(function (k) { return NW.t(k) + " " + Math.round(mix[k] * 100) + "%"; }).join(" · "));
    var growth = n.growth || [];
    if (growth.length) dd(NW.t("posts"), growth.map(function (g) { return g.day + ": +" + g.posts; }).slice(-7).join(" · "));
    profile(n);
    NW.clear(list);
    posts.forEach(function (p) {
      var url = NW.httpUrl(p.url);
      list.appendChild(NW.el("li", {cls: "post-item"}, [
        NW.el("label", {cls: "split-label"}, [
          NW.el("input", {type: "checkbox", cls: "split-pick", value: p.post_id, title: NW.t("split_pick"),
                          "aria-label": NW.t("split_pick")}), " ",
          NW.el("span", {cls: "muted", text: NW.fmtDate(p.created_at) + " · " + (p.platform || "") + " · " +
                                             (p.author || "")})]),
        NW.el("p", {cls: "post-text", text: p.text || ""}),
        url ? NW.el("a", {href: url, rel: "noopener noreferrer nofollow", target: "_blank", text: url}) : null]));
    });
    if (!posts.length) list.appendChild(NW.el("li", {cls: "muted", text: "–"}));
    NW.tips(document.getElementById("narrative-tips"), "narrative=" + encodeURIComponent(id));
    NW.api("GET", "/narratives/" + encodeURIComponent(id) + "/timeline?interval=day").then(function (series) {
      timeline({timeline: series}, posts);
    }).catch(function () { timeline(n, posts); });
  }).catch(function (e) {
    NW.clear(list); list.appendChild(NW.el("li", {cls: "error", text: NW.t("unavailable") + " (" + e.message + ")"}));
  }); }
  load();
})();
