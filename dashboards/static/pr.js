/* PR alert desk: a queue of incidents. GET /alerts (the filters: status, severity, campaign, rule; most severe first)
   for the backlog, then EventSource on /alerts/stream (each event: one alert as JSON, from any API or worker process:
   alert, alert.updated, alert.status, alert.assigned, alert.note, alert.response). Alerts about one narrative (their
   `incident`) are one card: its most severe alert leads, the others are listed inside. Cards are collapsed (title,
   severity, status, assignee, actions) and expand to the evidence, the brief, assignment, notes, the counter-message
   sent and its impact. A card is re-rendered in place on every event, so actions that no longer apply disappear, and
   an alert resolved elsewhere leaves the queue (the status filter "resolved" shows it). A stale action (the alert
   changed since the card was drawn: POST answers 409) re-reads the alert and says who changed what, in the page
   language. All alert text goes in with textContent. */
(function () {
  "use strict";
  var NW = window.NW, inbox = document.getElementById("inbox"), state = document.getElementById("live-state");
  var filters = document.getElementById("queue-filters"), notices = document.getElementById("notices");
  var canWrite = inbox.dataset.canWrite === "true", tz = inbox.dataset.tz || "Asia/Jakarta";
  var SEV = ["critical", "high", "medium", "low", "info"], UNRESOLVED = ["open", "acknowledged", "assigned"];
  var alerts = {}, cards = {}, expanded = {}, users = {};

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

  function localTime(iso) {  // the user's zone (WIB/WITA/WIT), as the header's switch says
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return String(iso);
    try {
      return d.toLocaleString("sv-SE", {timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
                                        hour: "2-digit", minute: "2-digit"});
    } catch (e) { return NW.fmtDate(iso); }
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
    if (s.first) fact("time_span", localTime(s.first) + " – " + localTime(s.last) + " (" + num(s.span_minutes) + " " + NW.t("fig_minutes") + ")");
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

  // -- the queue: filters, grouping into incidents, order --------------------------------------------------------

  function filterValues() {
    var f = filters.elements;
    return {status: f.status.value, severity: f.severity.value, campaign: f.campaign.value, rule: f.rule.value};
  }

  function matches(a) {
    var f = filterValues(), st = a.status || "open";
    if (f.status === "active" ? UNRESOLVED.indexOf(st) < 0 : (f.status && st !== f.status)) return false;
    return (!f.severity || a.severity === f.severity) && (!f.campaign || a.campaign === f.campaign) &&
      (!f.rule || a.rule === f.rule);
  }

  function keyOf(a) { return a.incident || a.id; }
  function rank(a) { var i = SEV.indexOf(a.severity || "medium"); return i < 0 ? 2 : i; }
  function newest(a) { return a.updated_at || a.created_at || ""; }

  function members(key) {  // most severe first, then newest
    return Object.keys(alerts).map(function (id) { return alerts[id]; }).filter(function (a) {
      return keyOf(a) === key;
    }).sort(function (x, y) { return rank(x) - rank(y) || (x.created_at < y.created_at ? 1 : -1); });
  }

  function groupStatus(list) {  // the least advanced of its alerts: open until all are acknowledged, and so on
    var order = ["open", "acknowledged", "assigned", "resolved"], best = 3;
    list.forEach(function (a) { best = Math.min(best, order.indexOf(a.status || "open")); });
    return order[best];
  }

  function reorder() {
    var keys = Object.keys(cards).sort(function (x, y) {
      var a = members(x), b = members(y);
      if (!a.length || !b.length) return 0;
      var last = function (l) { return l.map(newest).sort().pop(); };
      return rank(a[0]) - rank(b[0]) || (last(a) < last(b) ? 1 : -1);
    });
    keys.forEach(function (k) { inbox.appendChild(cards[k]); });
    var n = keys.length, empty = document.getElementById("empty");
    if (!n && !empty) inbox.appendChild(NW.el("p", {cls: "muted", id: "empty", text: NW.t("no_alerts")}));
    if (n && empty) empty.remove();
    document.getElementById("queue-count").textContent = n + " " + NW.t("incidents");
  }

  function notice(text, cls) {
    var p = NW.el("p", {cls: "notice " + (cls || ""), text: text});
    notices.insertBefore(p, notices.firstChild);
    while (notices.children.length > 5) notices.removeChild(notices.lastChild);
    return p;
  }

  /* Put an alert (from the list, an event or an action's answer) into the queue, or take it out when it no longer
     matches the filters (resolved elsewhere: it leaves the queue). */
  function upsert(a) {
    if (!a || !a.id) return;
    var old = alerts[a.id], key = keyOf(a);
    if (old && keyOf(old) !== key) { delete alerts[a.id]; draw(keyOf(old)); }
    if (matches(a)) alerts[a.id] = a; else delete alerts[a.id];
    draw(key);
    reorder();
  }

  // -- actions ---------------------------------------------------------------------------------------------------

  function staleText(body, fallback) {
    var a = (body && body.detail && body.detail.alert) || fallback, last = body && body.detail && body.detail.last;
    var text = NW.t("alert_changed") + " " + NW.t("status").toLowerCase() + ": " + NW.t("st_" + (a.status || "open")) +
      (a.assignee ? " (" + a.assignee + ")" : "");
    if (last && last.actor) text += "; " + NW.t("changed_by") + " " + last.actor + ", " + localTime(last.at);
    return NW.title(a) + " — " + text + ".";
  }

  /* POST to each unresolved alert of a card; a refusal because the alert changed meanwhile re-reads it and says
     what changed (never the raw status code). */
  function act(list, action, card, body) {
    card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var targets = list.filter(function (a) { return a.status !== "resolved"; });
    return Promise.all(targets.map(function (a) {
      var payload = Object.assign({expected_status: [a.status || "open"]}, body || {});
      return NW.api("POST", "/alerts/" + encodeURIComponent(a.id) + "/" + action, payload).then(function (updated) {
        upsert(updated);
        if (updated.status === "resolved") notice(NW.title(updated) + " — " + NW.t("left_queue"), "done");
      }).catch(function (e) {
        if (e.status === 409 || e.status === 404) {  // changed meanwhile (another session, another replica)
          return NW.api("GET", "/alerts/" + encodeURIComponent(a.id)).then(function (current) {
            upsert(current);
            notice(staleText(e.body, current), "stale").setAttribute("data-id", a.id);
          }).catch(function () { delete alerts[a.id]; draw(keyOf(a)); reorder(); notice(NW.t("alert_gone"), "stale"); });
        }
        card.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        var where = card.querySelector(".card-errors") || card;
        where.appendChild(NW.el("p", {cls: "error", text: e.message}));
      });
    }));
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

  function assignNode(list, card) {
    var lead = list[0], box = NW.el("div", {cls: "assign"}, [NW.el("b", {text: NW.t("assignee")})]);
    box.appendChild(NW.el("p", {cls: "assignee-now", text: lead.assignee || NW.t("unassigned")}));
    if (!canWrite || groupStatus(list) === "resolved") return box;
    var select = NW.el("select", {cls: "assignee-select", "aria-label": NW.t("assignee")});
    var button = NW.el("button", {type: "button", cls: "assign-btn", text: NW.t("assign")});
    function fill(names) {
      NW.clear(select);
      names.forEach(function (u) {
        var o = NW.el("option", {value: u.name, text: u.name}); if (u.name === lead.assignee) o.selected = true;
        select.appendChild(o);
      });
    }
    var known = users[lead.campaign];
    if (known) fill(known); else NW.api("GET", "/alerts/assignees?campaign=" + encodeURIComponent(lead.campaign)).then(function (u) {
      users[lead.campaign] = u; fill(u);
    }).catch(function () { /* no list: the button stays, the API names the problem */ });
    button.addEventListener("click", function () { act(list, "assign", card, {assignee: select.value}); });
    box.appendChild(select);
    box.appendChild(button);
    return box;
  }

  function notesNode(list) {
    var lead = list[0], box = NW.el("div", {cls: "notes-box"}, [NW.el("b", {text: NW.t("notes")})]);
    var all = [];
    list.forEach(function (a) { (a.notes || []).forEach(function (n) { all.push(n); }); });
    all.sort(function (x, y) { return x.at < y.at ? -1 : 1; });
    box.appendChild(NW.el("ul", {cls: "notes"}, all.map(function (n) {
      return NW.el("li", {cls: "note"}, [NW.el("span", {cls: "muted", text: n.author + " · " + localTime(n.at) + ": "}), n.text]);
    })));
    if (!canWrite) return box;
    var text = NW.el("textarea", {cls: "note-text", rows: "2", maxlength: "4000", placeholder: NW.t("note_placeholder")});
    var add = NW.el("button", {type: "button", cls: "add-note", text: NW.t("add_note")});
    add.addEventListener("click", function () {
      if (!text.value.trim()) return;
      add.disabled = true;
      NW.api("POST", "/alerts/" + encodeURIComponent(lead.id) + "/notes", {text: text.value}).then(function (a) {
        upsert(a);
        clearFields(a, ["note-text"]);  // posted: an empty note again (also if the live event redrew it first)
      }).catch(function (e) { add.disabled = false; box.appendChild(NW.el("p", {cls: "error", text: e.message})); });
    });
    box.appendChild(text);
    box.appendChild(add);
    return box;
  }

  function clearFields(a, classes) {
    var card = cards[keyOf(a)];
    if (card) classes.forEach(function (cls) { var f = card.querySelector("." + cls); if (f) f.value = ""; });
  }

  function pct(v) { return v === null || v === undefined ? "–" : Math.round(v * 100) + "%"; }

  /* Volume (bars: grey before, blue after) and net sentiment (line, right axis, -1..1) per bucket around the reply,
     on a real time axis (the server sends every bucket, empty ones at zero), the reply time drawn as a dashed line
     on the bucket edge where it was sent. The table below the chart carries the same figures as text. */
  var replyLine = {id: "replyLine", afterDatasetsDraw: function (chart, args, opts) {
    var x = chart.scales.x, area = chart.chartArea, at = opts.index;
    if (at == null || at < 1) return;
    var px = (x.getPixelForValue(at - 1) + x.getPixelForValue(at)) / 2, c = chart.ctx;
    c.save(); c.strokeStyle = "#cf222e"; c.lineWidth = 2; c.setLineDash([5, 4]);
    c.beginPath(); c.moveTo(px, area.top); c.lineTo(px, area.bottom); c.stroke();
    c.setLineDash([]); c.fillStyle = "#cf222e"; c.font = "11px sans-serif"; c.textAlign = "left";
    c.fillText(opts.label, px + 4, area.top + 10); c.restore();
  }};

  function impactChart(canvas, r) {
    var series = r.series || [];
    if (typeof Chart === "undefined" || !series.length) return;
    var edge = series.findIndex(function (b) { return b.after; });
    var tick = function (iso) { return String(iso).slice(5, 10) + " " + String(iso).slice(11, 16); };
    new Chart(canvas, {data: {labels: series.map(function (b) { return tick(b.start); }), datasets: [
      {type: "bar", label: NW.t("posts"), yAxisID: "y", data: series.map(function (b) { return b.posts; }),
       backgroundColor: series.map(function (b) { return b.after ? "#0969da" : "#8c959f"; })},
      {type: "line", label: NW.t("net_sentiment"), yAxisID: "y2", tension: 0, pointRadius: 2, spanGaps: true,
       borderColor: "#1a7f37", backgroundColor: "#1a7f37",
       data: series.map(function (b) { return b.net_sentiment; })}]},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
        interaction: {mode: "index", intersect: false},
        plugins: {replyLine: {index: edge, label: NW.t("reply_sent") + " " + tick(r.sent_at_local)},
                  legend: {labels: {boxWidth: 10, font: {size: 11}}}},
        scales: {x: {ticks: {autoSkip: true, maxRotation: 0, font: {size: 10}}},
                 y: {beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: NW.t("posts")}},
                 y2: {position: "right", min: -1, max: 1, grid: {drawOnChartArea: false},
                      title: {display: true, text: NW.t("net_sentiment")}}}},
      plugins: [replyLine]});
  }

  function impactNode(lead) {
    var box = NW.el("div", {cls: "impact", "data-id": lead.id});
    if (!(lead.responses || []).length) return box;
    NW.api("GET", "/alerts/" + encodeURIComponent(lead.id) + "/impact?tz=" + encodeURIComponent(tz)).then(function (body) {
      (body.responses || []).forEach(function (r) {
        function row(label, w) {
          var s = w.sentiment || {};
          return NW.el("tr", {}, [NW.el("th", {text: label}), NW.el("td", {cls: "posts", text: String(w.posts)}),
            NW.el("td", {text: String(s.positive || 0)}), NW.el("td", {text: String(s.neutral || 0)}),
            NW.el("td", {text: String(s.negative || 0)}), NW.el("td", {cls: "net", text: pct(w.net_sentiment)})]);
        }
        var table = NW.el("table", {cls: "impact-table"}, [
          NW.el("tr", {}, ["", NW.t("posts"), NW.t("positive"), NW.t("neutral"), NW.t("negative"), NW.t("net_sentiment")]
            .map(function (h) { return NW.el("th", {text: h}); })),
          row(NW.t("before") + " " + r.hours + " " + NW.t("hours"), r.before),
          row(NW.t("after") + " " + r.hours + " " + NW.t("hours") + (r.after.complete ? "" : " (" + NW.t("ongoing") + ")"), r.after)]);
        var change = r.volume_change === null ? "" : " · " + NW.t("volume_change") + ": " +
          (r.volume_change > 0 ? "+" : "") + Math.round(r.volume_change * 100) + "%";
        var canvas = NW.el("canvas", {cls: "impact-chart", role: "img",
          "aria-label": NW.t("impact_chart") + " (" + r.tz_label + ")"});
        box.appendChild(NW.el("div", {cls: "impact-entry"}, [
          NW.el("p", {cls: "muted", text: NW.t("impact_of") + " " + r.response.channel + " · " +
            localTime(r.response.sent_at) + " " + r.tz_label + " · " + NW.t("scope_" + r.scope) + change}),
          NW.el("div", {cls: "impact-chart-box"}, [canvas]), table]));
        impactChart(canvas, r);
      });
    }).catch(function (e) { box.appendChild(NW.el("p", {cls: "error", text: e.message})); });
    return box;
  }

  function responsesNode(list) {
    var lead = list[0], box = NW.el("div", {cls: "responses-box"}, [NW.el("b", {text: NW.t("response_sent")})]);
    box.appendChild(NW.el("ul", {cls: "responses"}, (lead.responses || []).map(function (r) {
      return NW.el("li", {cls: "response"}, [NW.el("span", {cls: "muted", text: localTime(r.sent_at) + " · " + r.channel +
        " · " + r.by + ": "}), r.text, " ", r.url ? link(r.url, "↗") : null]);
    })));
    box.appendChild(impactNode(lead));
    if (!canWrite) return box;
    var form = NW.el("div", {cls: "response-form"});
    var text = NW.el("textarea", {cls: "response-text", rows: "3", maxlength: "4000"});
    text.value = (lead.brief && lead.brief.suggested_reply) || "";
    var channel = NW.el("input", {cls: "response-channel", maxlength: "100", placeholder: NW.t("channel_example")});
    var url = NW.el("input", {cls: "response-url", type: "url", maxlength: "4096", placeholder: "https://"});
    var save = NW.el("button", {type: "button", cls: "record-response", text: NW.t("record_response")});
    save.addEventListener("click", function () {
      save.disabled = true;
      NW.api("POST", "/alerts/" + encodeURIComponent(lead.id) + "/responses",
             {text: text.value, channel: channel.value, url: url.value || null}).then(function (a) {
        upsert(a);
        clearFields(a, ["response-channel", "response-url"]);  // recorded: the form starts over
        var card = cards[keyOf(a)], box = card && card.querySelector(".response-text");
        if (box) box.value = (a.brief && a.brief.suggested_reply) || "";
      }).catch(function (e) {
        save.disabled = false; form.appendChild(NW.el("p", {cls: "error", text: e.message}));
      });
    });
    [NW.el("label", {cls: "wide"}, [NW.t("message_sent"), text]), NW.el("label", {}, [NW.t("channel"), channel]),
     NW.el("label", {}, [NW.t("url"), url]), save].forEach(function (n) { form.appendChild(n); });
    box.appendChild(form);
    return box;
  }

  function memberNode(a) {
    var rule = (a.why && a.why.rule) || {};
    return NW.el("section", {cls: "member", "data-id": a.id, "data-status": a.status || "open"}, [
      NW.el("h4", {}, [NW.el("span", {cls: "tag sev", text: NW.t("sev_" + (a.severity || "medium"))}), " ",
                       NW.el("span", {cls: "member-title", text: NW.title(a)}), " ",
                       NW.el("span", {cls: "tag status", text: NW.t("st_" + (a.status || "open"))})]),
      NW.el("p", {cls: "muted alert-meta", text: NW.t("rule") + ": " + (rule.name || a.rule || "") +
        (rule.kind ? " (" + NW.t("kind_" + rule.kind) + ")" : "") + " · " + localTime(a.created_at)}),
      whyNode(a.why)]);
  }

  /* One card per incident: (re)drawn in place, or removed when none of its alerts is in the queue. */
  function draw(key) {
    var list = members(key), old = cards[key];
    if (!list.length) { if (old) old.remove(); delete cards[key]; return; }
    var lead = list[0], st = groupStatus(list), open = !!expanded[key];
    var card = NW.el("article", {cls: "alert card sev-" + (lead.severity || "medium") + " st-" + st + (open ? " expanded" : ""),
                                 "data-id": lead.id, "data-incident": key, "data-status": st,
                                 "data-severity": lead.severity || "medium", "data-count": String(list.length),
                                 "data-ids": list.map(function (a) { return a.id; }).join(" ")});
    var toggle = NW.el("button", {type: "button", cls: "toggle link", "aria-expanded": open ? "true" : "false",
                                  text: open ? "▾" : "▸", title: NW.t("details")});
    var buttons = NW.el("div", {cls: "actions"});
    if (canWrite && st !== "resolved") {
      if (st === "open") {
        var ack = NW.el("button", {type: "button", cls: "ack", text: NW.t("ack")});
        ack.addEventListener("click", function () { act(list, "ack", card); });
        buttons.appendChild(ack);
      }
      var res = NW.el("button", {type: "button", cls: "resolve", text: NW.t("resolve")});
      res.addEventListener("click", function () { act(list, "resolve", card); });
      buttons.appendChild(res);
    }
    var head = NW.el("header", {}, [toggle,
      NW.el("span", {cls: "tag sev", text: NW.t("sev_" + (lead.severity || "medium"))}),
      NW.el("h2", {cls: "alert-title", text: NW.title(lead)}),
      list.length > 1 ? NW.el("span", {cls: "tag linked", text: "+" + (list.length - 1) + " " + NW.t("linked_alerts")}) : null,
      lead.assignee ? NW.el("span", {cls: "tag assignee", text: "→ " + lead.assignee}) : null,
      (lead.notes || []).length ? NW.el("span", {cls: "tag notes-count", text: "✎ " + lead.notes.length}) : null,
      NW.el("span", {cls: "tag status", text: NW.t("st_" + st)})]);
    head.addEventListener("click", function (ev) {
      if (ev.target.closest("a")) return;
      expanded[key] = !expanded[key];
      draw(key);
    });
    card.appendChild(head);
    var rule = (lead.why && lead.why.rule) || {};
    card.appendChild(NW.el("p", {cls: "muted alert-meta", text: (lead.campaign || "") + " · " + NW.t("rule") + ": " +
      (rule.name || lead.rule || "") + (rule.kind ? " (" + NW.t("kind_" + rule.kind) + ")" : "") + " · " + localTime(lead.created_at)}));
    card.appendChild(buttons);
    card.appendChild(NW.el("div", {cls: "card-errors"}));
    var body = NW.el("div", {cls: "alert-body"});
    if (list.length > 1) body.appendChild(NW.el("div", {cls: "members"}, [NW.el("b", {text: NW.t("incident_alerts")})]
      .concat(list.map(memberNode))));
    else { var why = whyNode(lead.why); if (why) body.appendChild(why); }
    var brief = briefNode(lead.brief); if (brief) body.appendChild(brief);
    if (open) {  // what needs the API (assignable users, impact, tips) only once the card is opened
      body.appendChild(NW.el("div", {cls: "desk"}, [assignNode(list, card), notesNode(list), responsesNode(list)]));
      body.appendChild(tipsNode(lead));
    }
    card.appendChild(body);
    if (old) {  // an event redraws the card: what the officer is typing stays
      ["note-text", "response-text", "response-channel", "response-url", "tip-answer"].forEach(function (cls) {
        var before = old.querySelector("." + cls), after = card.querySelector("." + cls);
        if (before && after && before.value !== before.defaultValue) after.value = before.value;
      });
    }
    if (old && old.parentNode) old.parentNode.replaceChild(card, old); else inbox.appendChild(card);
    cards[key] = card;
  }

  // -- loading, filters, live events -----------------------------------------------------------------------------

  var loads = 0;
  function load() {
    var f = filterValues(), q = ["sort=severity", "limit=500"], mine = ++loads;
    Object.keys(f).forEach(function (k) { if (f[k]) q.push(k + "=" + encodeURIComponent(f[k])); });
    var params = new URLSearchParams(window.location.search);
    Object.keys(f).forEach(function (k) { if (f[k] && !(k === "status" && f[k] === "active")) params.set(k, f[k]); else params.delete(k); });
    if (f.status === "") params.set("status", "all");
    window.history.replaceState(null, "", window.location.pathname + (params.toString() ? "?" + params : ""));
    return NW.api("GET", "/alerts?" + q.join("&")).then(function (body) {
      if (mine !== loads) return;  // the filters changed again meanwhile: only the newest answer is shown
      alerts = {};
      Object.keys(cards).forEach(function (k) { cards[k].remove(); });
      cards = {};
      (Array.isArray(body) ? body : []).forEach(function (a) { if (matches(a)) alerts[a.id] = a; });
      var keys = {};
      Object.keys(alerts).forEach(function (id) { keys[keyOf(alerts[id])] = 1; });
      Object.keys(keys).forEach(draw);
      reorder();
    }).catch(function (e) { notice(e.message, "error"); });
  }

  (function initFilters() {  // the URL keeps the filters: a reload or a shared link opens the same queue
    var params = new URLSearchParams(window.location.search), f = filters.elements;
    ["status", "severity", "campaign", "rule"].forEach(function (k) {
      var v = params.get(k);
      if (v !== null) f[k].value = k === "status" && v === "all" ? "" : v;
    });
    filters.addEventListener("change", load);
    filters.addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
  })();

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

  load();

  if (!window.EventSource) return;
  var source = new EventSource("/alerts/stream", {withCredentials: true});
  source.onopen = function () { state.textContent = NW.t("connected"); state.className = "ok"; };
  source.onerror = function () { state.textContent = NW.t("reconnecting"); state.className = "warn"; };
  function onEvent(ev) {
    var a;
    try { a = JSON.parse(ev.data); a = a.alert || a; } catch (e) { return; /* keep-alives and bad events */ }
    var before = alerts[a.id];
    upsert(a);
    if (before && !alerts[a.id] && a.status === "resolved") notice(NW.title(a) + " — " + NW.t("left_queue"), "done");
  }
  source.onmessage = onEvent;
  ["alert", "alert.updated", "alert.status", "alert.assigned", "alert.note", "alert.response"].forEach(function (name) {
    source.addEventListener(name, onEvent);
  });
})();
