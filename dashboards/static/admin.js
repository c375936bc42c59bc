/* Admin forms call the API (the same validation and audit as any client); the API's message is shown as text. */
(function () {
  "use strict";
  var send = function (method, path, body) {
    var opts = {method: method, credentials: "same-origin",
                headers: {"X-Requested-With": "narrawatch", "Accept": "application/json"}};
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.ok) return data;
        var detail = Array.isArray(data.detail) ? data.detail.map(function (d) {
          return (d.loc || []).slice(1).join(".") + ": " + d.msg; }).join("; ") : "";
        throw new Error("HTTP " + r.status + ": " + (data.message || (typeof data.detail === "string" ? data.detail : "")
                        || detail || r.statusText) + (detail && data.message ? " (" + detail + ")" : ""));
      });
    });
  };
  var list = function (value, sep) {
    return value.split(sep === "line" ? /\r?\n/ : sep).map(function (s) { return s.trim(); })
                .filter(function (s) { return s; });
  };
  var body = function (form) {  /* fields -> JSON: data-list splits, data-type=int, checkboxes, a.b nests */
    var out = {};
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (el) {
      var v;
      if (el.type === "checkbox") v = el.checked;
      else if (el.dataset.list) v = list(el.value, el.dataset.list);
      else if (el.dataset.type === "int") v = parseInt(el.value, 10);
      else if (el.dataset.null !== undefined && el.value === el.dataset.null) v = null;
      else v = el.value;
      var keys = el.name.split("."), at = out;
      keys.slice(0, -1).forEach(function (k) { at = at[k] = at[k] || {}; });
      at[keys[keys.length - 1]] = v;
    });
    return out;
  };
  document.querySelectorAll("form.api-form").forEach(function (form) {
    var status = form.querySelector("[data-role=status]");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      status.className = "status"; status.textContent = NW.t("loading");
      send(form.dataset.method, form.dataset.path, body(form)).then(function (data) {
        if (form.dataset.show && data && data[form.dataset.show]) {  /* a new key: shown once, then the list */
          form.querySelector("[data-role=secret]").textContent = data[form.dataset.show];
          form.querySelector(".secret").hidden = false;
          status.textContent = "";
          return;
        }
        window.location.assign(window.location.pathname);
      }).catch(function (err) { status.className = "status error"; status.textContent = err.message; });
    });
  });
  document.querySelectorAll("button[data-method]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm + "?")) return;
      btn.disabled = true;
      send(btn.dataset.method, btn.dataset.path).then(function () { window.location.reload(); })
        .catch(function (err) { btn.disabled = false; btn.title = err.message; btn.parentNode.appendChild(
          NW.el("span", {cls: "error", "data-role": "status", text: " " + err.message})); });
    });
  });
})();
