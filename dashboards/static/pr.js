/* PR alert inbox: GET /alerts for the backlog, then EventSource on /alerts/stream (each event: one alert as JSON,
   from any API or worker process: alert, alert.updated, alert.status, alert.assigned). A card is re-rendered in place
   on every event, so actions that no longer apply (someone else resolved it) disappear. Ack / resolve: POST
   /alerts/{id}/ack|resolve; a refused stale action re-reads the alert and says why. All alert text goes in with
   textContent. */
(function () {
  "use strict";
  var NW = window.NW, inbox = document.getElementById("inbox"), state = document.getElementById("live-state");
  var canWrite = inbox.dataset.canWrite === "true", cards = {};

  function link(url, text) {  // only http(s) URLs become links (a javascript: URL in a post stays text)
    if (!NW.httpUrl(url)) return document.createTextNode(text || url || "");
    return NW.el("a", {href: url, rel: "noopener noreferrer nofollow", target: "_blank", text: text || url});
  }

  function postItem(p) {  // "author: text ↗"
    if (typeof p !== "object" || p === null) return NW.el("li", {cls: "post-text", text: String(p)});
    return NW.el("li", {cls: "post-text"}, [(p.author ? "@" + p.author + ": " : "") + (p.text || ""), " ",
                                            p.url ? link(p.url, "↗") : null]);
  }

  function item(label, node) {
    return NW.el("div", {cls: "brief-item"}, [NW.el("b", {text: label}), node]);
  }

  function briefNode(brief) {
    if (!brief || typeof brief !== "object" || !Object.keys(brief).length) return null;
    var box = NW.el("div", {cls: "brief"}, [NW.el("h3", {text: NW.t("brief")})]);
    if (brief.suggested_reply) {
      box.appendChild(item(NW.t("suggested_reply"), NW.el("p", {cls: "reply", text: brief.suggested_reply})));
    }
    if ((brief.debunks || []).length) {
      box.appendChild(item(NW.t("debunks"), NW.el("ul", {cls: "debunks"}, brief.debunks.map(function (d) {
        return NW.el("li", {}, [link(d.url, d.reason || d.title || d.url || d.claim_id)]);
      }))));
    }
    if ((brief.key_messages || []).length) {
      box.appendChild(item(NW.t("key_messages"), NW.el("ol", {cls: "key-messages"}, brief.key_messages.map(function (m, i) {
        return NW.el("li", {cls: i === brief.key_message ? "chosen" : "", text: m});
      }))));
    }
    if ((brief.answer_posts || []).length) {
      box.appendChild(item(NW.t("answer_posts"), NW.el("ul", {cls: "answer-posts"}, brief.answer_posts.map(postItem))));
    }
    var n = brief.narrative;
    if (n && n.label) {
      box.appendChild(item(NW.t("narrative"), NW.el("p", {text: n.label + (n.keywords && n.keywords.length ? " (" +
                                                                              n.keywords.join(", ") + ")" : "")})));
    }
    return box;
  }

  function num(v) { return typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v); }

  /* The figures behind the alert: its rule's own (score, counts, growth vs the baseline) and the evidence summary
     every alert carries (posts, accounts, time span), then the accounts named and example posts with links. */
  function whyNode(why) {
    if (!why || typeof why !== "object") return null;
    var f = why.figures || {}, s = why.summary || {}, facts = [];
    function fact(key, value) { if (value !== undefined && value !== null && value !== "") facts.push(NW.el("li", {"data-fig": key}, [NW.el("span", {cls: "muted", text: NW.t("fig_" + key) + ": "}), num(value)])); }
    fact("score", f.robust_z !== undefined ? f.robust_z : f.max_hoax_score);
    fact("posts", f.matched_posts || f.hoax_posts || f.posts_in_window || f.posts || s.posts);
    fact("accounts", typeof f.accounts === "number" ? f.accounts : s.accounts);
    if (typeof f.value === "number" && typeof f.baseline_median === "number") {
      fact("growth", num(f.value) + " / " + num(f.baseline_median) +
           (f.baseline_median > 0 ? " (×" + num(f.value / f.baseline_median) + ")" : ""));
    }
    if (s.first) fact("time_span", NW.fmtDate(s.first) + " – " + NW.fmtDate(s.last) + " (" + num(s.span_minutes) + " " + NW.t("fig_minutes") + ")");
    if (f.span_seconds !== undefined) fact("span_seconds", f.span_seconds);
    if (why.repeats) fact("repeats", why.repeats);
    var box = NW.el("div", {cls: "why"}, [NW.el("b", {text: NW.t("why")}), NW.el("ul", {cls: "figures"}, facts)]);
    if ((s.top_accounts || []).length) {
      box.appendChild(NW.el("p", {cls: "accounts"}, [NW.el("span", {cls: "muted", text: NW.t("fig_named_accounts") + ": "}),
        s.top_accounts.map(function (a) { return "@" + a.author + " (" + a.platform + ", " + a.posts + ")"; }).join(", ")]));
    }
    var examples = Array.isArray(why.examples) ? why.examples : [];
    if (examples.length) box.appendChild(NW.el("ul", {cls: "examples"}, examples.slice(0, 3).map(postItem)));
    return box;
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
      ": " + NW.t("st_" + (alert.status || "open")) + (alert.assignee ? " (" + alert.assignee + ")" : "") + ".";
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
      NW.el("span", {cls: "tag sev", text: NW.t("sev_" + (alert.severity || "medium"))}),
      NW.el("h2", {cls: "alert-title", text: NW.title(alert)}),
      NW.el("span", {cls: "tag status", text: NW.t("st_" + (alert.status || "open"))})]));
    var rule = (alert.why && alert.why.rule) || {};
    card.appendChild(NW.el("p", {cls: "muted alert-meta", text: (alert.campaign || "") + " · " + NW.t("rule") + ": " +
      (rule.name || alert.rule || "") + (rule.kind ? " (" + NW.t("kind_" + rule.kind) + ")" : "") + " · " + NW.fmtDate(alert.created_at)}));
    var why = whyNode(alert.why); if (why) card.appendChild(why);
    var brief = briefNode(alert.brief); if (brief) card.appendChild(brief);
    card.appendChild(tipsNode(alert));
    card.appendChild(buttons);
    var old = cards[alert.id];
    if (old && old.parentNode) old.parentNode.replaceChild(card, old); else inbox.insertBefore(card, inbox.firstChild);
    cards[alert.id] = card;
  }

  var claimForm = document.getElementById("claim-form");
  if (claimForm) claimForm.addEventListener("submit", function (ev) {  // POST /claims: the matcher uses it at once
    ev.preventDefault();
    var f = claimForm.elements, status = document.getElementById("claim-status");
    var body = {title: f.title.value, claim: f.claim.value, verdict: f.verdict.value, url: f.url.value || null};
    NW.api("POST", "/claims", body).then(function (c) {
      status.className = "status"; status.textContent = NW.t("claim_added") + ": " + c.title + " (" + c.id + ")";
      claimForm.reset();
    }).catch(function (e) { status.className = "status error"; status.textContent = e.message; });
  });

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
