/* PR alert inbox: GET /alerts for the backlog, then EventSource on /alerts/stream (each event: one alert as JSON,
   from any API or worker process: alert, alert.updated, alert.status, alert.assigned). A card is re-rendered in place
   on every event, so actions that no longer apply (someone else resolved it) disappear. Ack / resolve: POST
   /alerts/{id}/ack|resolve; a refused stale action re-reads the alert and says why. All alert text goes in with
   textContent. */
(function () {
  "use strict";
  var NW = window.NW, inbox = document.getElementById("inbox"), state = document.getElementById("live-state");
  var canWrite = inbox.dataset.canWrite === "true", cards = {};

  function briefNode(brief) {
    if (!brief || typeof brief !== "object" || !Object.keys(brief).length) return null;
    var box = NW.el("div", {cls: "brief"}, [NW.el("h3", {text: NW.t("brief")})]);
    function say(x) {
      if (x === null || x === undefined) return "";
      if (typeof x !== "object") return String(x);
      if (x.text) return (x.author ? x.author + ": " : "") + x.text + (x.url ? " (" + x.url + ")" : "");
      if (x.label) return x.label + (x.keywords ? " (" + x.keywords.join(", ") + ")" : "");
      if (x.title || x.claim) return (x.title || x.claim) + (x.url ? " (" + x.url + ")" : "");
      return JSON.stringify(x);
    }
    Object.keys(brief).forEach(function (k) {
      var v = brief[k], dd;
      if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return;
      if (k === "campaign" || k === "campaign_name") return;  // already in the card header
      if (Array.isArray(v)) {
        dd = NW.el("ul", {}, v.map(function (x) { return NW.el("li", {text: say(x)}); }));
      } else {
        dd = NW.el("p", {text: say(v)});
      }
      var label = NW.t(k);  // translated section name, else the key made readable
      box.appendChild(NW.el("div", {cls: "brief-item"}, [NW.el("b", {text: label === k ? k.replace(/_/g, " ") : label}), dd]));
    });
    return box;
  }

  function whyNode(why) {
    if (!why || typeof why !== "object") return null;
    var parts = [];
    Object.keys(why).forEach(function (k) {
      var v = why[k];
      if (v === null || typeof v === "object") return;
      parts.push(k.replace(/_/g, " ") + ": " + v);
    });
    var examples = why.examples || why.example_posts || [];
    var list = NW.el("ul", {cls: "examples"}, (Array.isArray(examples) ? examples : []).slice(0, 3).map(function (p) {
      return NW.el("li", {cls: "post-text", text: typeof p === "string" ? p : (p.text || JSON.stringify(p))});
    }));
    return NW.el("div", {cls: "why"}, [NW.el("p", {cls: "muted", text: NW.t("why") + ": " + parts.join(" · ")}), list]);
  }

  function act(alert, action, card) {
    card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    NW.api("POST", "/alerts/" + encodeURIComponent(alert.id) + "/" + action, {}).then(function (updated) {
      render(updated && updated.id ? updated : Object.assign({}, alert, {status: action === "ack" ? "acknowledged" : "resolved"}));
    }).catch(function (e) {
      if (e.status === 409 || e.status === 404) {  // changed meanwhile (another session, another replica)
        NW.api("GET", "/alerts/" + encodeURIComponent(alert.id)).then(function (current) {
          render(current);
          stale(current, e.status);
        }).catch(function () { stale(alert, 404); });
        return;
      }
      card.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      card.appendChild(NW.el("p", {cls: "error", text: e.message}));
    });
  }

  function stale(alert, status) {
    var card = cards[alert.id];
    if (!card) return;
    var text = status === 404 ? NW.t("alert_gone") : NW.t("alert_changed") + " " + NW.t("status").toLowerCase() +
      ": " + (alert.status || "") + (alert.assignee ? " (" + alert.assignee + ")" : "") + ".";
    card.appendChild(NW.el("p", {cls: "notice stale", text: text}));
  }

  function tipsNode(alert) {
    var box = NW.el("div", {cls: "tips"});
    NW.tips(box, "alert=" + encodeURIComponent(alert.id), function () {
      if (!canWrite || alert.status === "resolved") return;
      var text = NW.el("textarea", {cls: "tip-answer", rows: "3", maxlength: "4000"});
      text.value = (alert.brief && alert.brief.suggested_reply) || "";
      var send = NW.el("button", {type: "button", cls: "tip-answers", text: NW.t("answer_tip_senders")});
      send.addEventListener("click", function () {
        send.disabled = true;
        NW.api("POST", "/alerts/" + encodeURIComponent(alert.id) + "/tip-answers", {text: text.value}).then(function (r) {
          box.appendChild(NW.el("p", {cls: "muted tip-result", text: NW.t("tips_answered") + ": " + r.sent + " / " +
                                      r.senders + (r.already ? " (" + r.already + " " + NW.t("tips_already") + ")" : "")}));
        }).catch(function (e) {
          send.disabled = false;
          box.appendChild(NW.el("p", {cls: "error", text: e.message}));
        });
      });
      box.appendChild(text);
      box.appendChild(send);
    });
    return box;
  }

  function render(alert) {
    if (!alert || !alert.id) return;
    var empty = document.getElementById("empty"); if (empty) empty.remove();
    var card = NW.el("article", {cls: "alert card sev-" + (alert.severity || "medium") + " st-" + (alert.status || "open"),
                                 "data-id": alert.id, "data-status": alert.status || "open"});
    var buttons = NW.el("div", {cls: "actions"});
    if (canWrite && alert.status !== "resolved") {
      if (alert.status === "open") {
        var ack = NW.el("button", {type: "button", cls: "ack", text: NW.t("ack")});
        ack.addEventListener("click", function () { act(alert, "ack", card); });
        buttons.appendChild(ack);
      }
      var res = NW.el("button", {type: "button", cls: "resolve", text: NW.t("resolve")});
      res.addEventListener("click", function () { act(alert, "resolve", card); });
      buttons.appendChild(res);
    }
    card.appendChild(NW.el("header", {}, [
      NW.el("span", {cls: "tag sev", text: alert.severity || ""}),
      NW.el("h2", {cls: "alert-title", text: alert.title || alert.rule || alert.id}),
      NW.el("span", {cls: "tag status", text: alert.status || "open"})]));
    card.appendChild(NW.el("p", {cls: "muted", text: (alert.campaign || "") + " · " + (alert.rule || "") + " · " + NW.fmtDate(alert.created_at)}));
    var why = whyNode(alert.why); if (why) card.appendChild(why);
    var brief = briefNode(alert.brief); if (brief) card.appendChild(brief);
    card.appendChild(tipsNode(alert));
    card.appendChild(buttons);
    var old = cards[alert.id];
    if (old && old.parentNode) old.parentNode.replaceChild(card, old); else inbox.insertBefore(card, inbox.firstChild);
    cards[alert.id] = card;
  }

  NW.api("GET", "/alerts").then(function (body) {
    var items = Array.isArray(body) ? body : (body.alerts || body.items || []);
    items.slice().reverse().forEach(render);
  }).catch(function () { /* the stream still works; the backlog shows once /alerts answers */ });

  if (!window.EventSource) return;
  var source = new EventSource("/alerts/stream", {withCredentials: true});
  source.onopen = function () { state.textContent = NW.t("connected"); state.className = "ok"; };
  source.onerror = function () { state.textContent = NW.t("reconnecting"); state.className = "warn"; };
  function onEvent(ev) {
    try { var a = JSON.parse(ev.data); render(a.alert || a); } catch (e) { /* ignore keep-alives and bad events */ }
  }
  source.onmessage = onEvent;
  ["alert", "alert.updated", "alert.status", "alert.assigned"].forEach(function (name) {
    source.addEventListener(name, onEvent);
  });
})();
