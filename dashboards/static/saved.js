/* Analyst page: save the current search (POST /saved-searches) and turn an opened one into an alert rule
   (POST /saved-searches/{id}/rules). The form's current values are what gets saved. */
(function () {
  "use strict";
  var box = document.getElementById("saved-actions");
  if (!box) return;
  var status = document.getElementById("saved-status"), form = document.getElementById("search-form");

  function send(method, path, body) {  // like NW.api, but a refusal shows the API's own message
    return fetch(path, {method: method, credentials: "same-origin", body: JSON.stringify(body),
                        headers: {"X-Requested-With": "narrawatch", "Accept": "application/json",
                                  "Content-Type": "application/json"}})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) throw new Error((data && (data.message || data.detail)) || ("HTTP " + r.status));
          return data;
        });
      });
  }

  function field(name) { var el = form.elements[name]; return el && el.value ? el.value : null; }
  function day(name, end) {  // the form's local days (WIB/WITA/WIT) as the API's instants (until is inclusive)
    var v = field(name);
    if (!v) return null;
    var d = new Date(v + "T00:00:00" + (box.getAttribute("data-offset") || "Z"));
    if (end) d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString();
  }

  document.getElementById("save-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var hoax = field("hoax");
    var body = {name: document.getElementById("save-name").value, query: field("q") || "", filters: {
      campaign: field("campaign"), platform: field("platform"), lang: field("lang_filter"),
      sentiment: field("sentiment"), hoax: hoax === null ? null : hoax === "1", author: field("author"),
      since: day("since", false), until: day("until", true)}};
    send("POST", "/saved-searches", body).then(function (saved) {
      window.location.href = "/ui/analyst?saved=" + encodeURIComponent(saved.id);
    }).catch(function (e) { status.textContent = box.getAttribute("data-save-failed") + ": " + e.message; });
  });

  var rule = document.getElementById("create-rule");
  if (rule) rule.addEventListener("click", function () {
    rule.disabled = true;
    send("POST", "/saved-searches/" + encodeURIComponent(box.getAttribute("data-saved")) + "/rules", {})
      .then(function (r) { status.textContent = box.getAttribute("data-rule-created") + ": " + r.name + " (" + r.id + ")"; })
      .catch(function (e) { status.textContent = box.getAttribute("data-rule-failed") + ": " + e.message; rule.disabled = false; });
  });
})();
