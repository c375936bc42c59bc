/* Narrative list for one campaign, from GET /narratives?campaign=ID (narratives API). */
(function () {
  "use strict";
  var NW = window.NW, box = document.getElementById("narrative-list");
  var campaign = box.dataset.campaign;
  NW.api("GET", "/narratives?" + new URLSearchParams({campaign: campaign}).toString()).then(function (body) {
    var items = Array.isArray(body) ? body : (body.narratives || body.items || []);
    NW.clear(box); box.className = "";
    if (!items.length) { box.appendChild(NW.el("p", {cls: "muted", text: "–"})); return; }
    var table = NW.el("table", {cls: "data", id: "narratives-table"});
    table.appendChild(NW.el("thead", {}, [NW.el("tr", {}, [
      NW.el("th", {text: NW.t("open")}), NW.el("th", {text: NW.t("keywords")}), NW.el("th", {text: NW.t("size")}),
      NW.el("th", {text: NW.t("hoax")}), NW.el("th", {text: NW.t("last_seen")})])]));
    var tbody = NW.el("tbody");
    items.forEach(function (n) {
      var link = NW.el("a", {href: "/ui/analyst/narratives/" + encodeURIComponent(n.id), cls: "narrative-link",
                             text: n.label || n.title || n.id});
      tbody.appendChild(NW.el("tr", {}, [NW.el("td", {}, [link]),
        NW.el("td", {text: (n.keywords || []).slice(0, 8).join(", ")}),
        NW.el("td", {text: String(n.size != null ? n.size : (n.posts != null ? n.posts : ""))}),
        NW.el("td", {text: n.hoax_share != null ? (Math.round(n.hoax_share * 1000) / 10) + "%" : ""}),
        NW.el("td", {text: NW.fmtDate(n.last_seen)})]));
    });
    table.appendChild(tbody); box.appendChild(table);
  }).catch(function (e) {
    NW.clear(box); box.appendChild(NW.el("p", {cls: "error", text: NW.t("unavailable") + " (" + e.message + ")"}));
  });
})();
