/* Analyst page: correction buttons on each result row -> POST /posts/{id}/corrections; the row shows the new label. */
(function () {
  "use strict";
  var table = document.getElementById("results");
  if (!table) return;
  var saved = table.getAttribute("data-saved"), failed = table.getAttribute("data-failed");

  function show(row, c) {
    var tag = row.querySelector('[data-role="sentiment"]');
    if (c.sentiment) { tag.textContent = NW.t(c.sentiment); tag.className = "tag s-" + c.sentiment; }
    var hoax = row.querySelector('[data-role="hoax"]');
    NW.clear(hoax);
    if (c.hoax_score !== null && c.hoax_score !== undefined)
      hoax.appendChild(NW.el("span", {text: c.hoax_score.toFixed(2), "data-role": "hoax-score"}));
    if (c.hoax) hoax.appendChild(NW.el("span", {cls: "tag hoax", text: hoax.getAttribute("data-hoax-label")}));
    row.querySelectorAll('button[data-field="sentiment"]').forEach(function (b) {
      b.disabled = b.getAttribute("data-value") === c.sentiment;
    });
  }

  table.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-field]");
    if (!btn) return;
    var row = btn.closest("tr[data-id]"), status = row.querySelector('[data-role="status"]');
    var field = btn.getAttribute("data-field"), value = btn.getAttribute("data-value"), body = {};
    body[field] = field === "hoax" ? value === "true" : value;
    btn.disabled = true;
    NW.api("POST", "/posts/" + encodeURIComponent(row.getAttribute("data-id")) + "/corrections", body)
      .then(function (res) {
        show(row, res.post.classification);
        row.classList.add("corrected");
        status.textContent = saved;
        if (field !== "sentiment") btn.disabled = false;
      })
      .catch(function (e) {
        status.textContent = failed + " (" + (e.status || "?") + ")";
        btn.disabled = false;
      });
  });
})();
