/* One narrative: metadata, timeline (posts per day) and example posts, from GET /narratives/{id}. */
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
  NW.api("GET", "/narratives/" + encodeURIComponent(id)).then(function (body) {
    var n = body.narrative || body;
    var posts = body.top_posts || body.posts || body.examples || body.example_posts || [];
    title.textContent = n.label || n.title || n.id;
    dd(NW.t("campaign"), n.campaign || "");
    dd(NW.t("size"), String(n.size != null ? n.size : posts.length));
    dd(NW.t("keywords"), (n.keywords || []).join(", "));
    dd(NW.t("first_seen"), NW.fmtDate(n.first_seen)); dd(NW.t("last_seen"), NW.fmtDate(n.last_seen));
    if (n.hoax_share != null) dd(NW.t("hoax"), (Math.round(n.hoax_share * 1000) / 10) + "%");
    NW.clear(list);
    posts.forEach(function (p) {
      var url = NW.httpUrl(p.url);
      list.appendChild(NW.el("li", {cls: "post-item"}, [
        NW.el("span", {cls: "muted", text: NW.fmtDate(p.created_at) + " · " + (p.platform || "") + " · " + (p.author || "")}),
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
  });
})();
