/* Leadership charts from the JSON embedded by the server (Chart.js draws on canvas: no HTML from data).
   The server sends every bucket of the period (empty ones at zero), so the category axis is a real time axis;
   lines are straight (no curve dips below a real value); a campaign has one colour on every chart. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var L = data.labels, C = data.colours;
  var sentimentColours = {positive: "#1a7f37", neutral: "#8c959f", negative: "#cf222e"};
  document.querySelectorAll(".swatch[data-colour]").forEach(function (el) { el.style.background = el.dataset.colour; });
  var printBtn = document.getElementById("print");
  if (printBtn) printBtn.addEventListener("click", function () { window.print(); });
  if (typeof Chart === "undefined") return;
  Chart.defaults.animation = false;
  Chart.defaults.elements.line.tension = 0;
  var hourly = data.interval === "hour";
  var tick = function (iso) {  /* the bucket as the server wrote it: local wall-clock time of the chosen zone */
    var s = String(iso); return hourly ? s.slice(5, 10) + " " + s.slice(11, 16) : s.slice(0, 10);
  };
  var common = function (stacked) {
    return {responsive: true, maintainAspectRatio: false, interaction: {mode: "index", intersect: false},
            scales: {x: {stacked: !!stacked, ticks: {autoSkip: true, maxRotation: 0}},
                     y: {stacked: !!stacked, beginAtZero: true, ticks: {precision: 0}}}};
  };
  var byCampaign = function (list, value, type) {
    var keys = list.length ? list[0].series.map(function (b) { return b.bucket; }) : [];
    return {labels: keys.map(tick), datasets: list.map(function (c) {
      var colour = C[c.campaign] || "#57606a";
      return {label: c.name, data: c.series.map(value), borderColor: colour, backgroundColor: colour,
              pointRadius: type === "line" ? 2 : 0, fill: false};
    })};
  };

  var mentions = document.getElementById("mentions-chart");
  if (mentions && data.mentions.length) {
    new Chart(mentions, {type: "line", data: byCampaign(data.mentions, function (b) { return b.total; }, "line"),
                         options: common(false)});
  }

  document.querySelectorAll("canvas.sentiment-chart").forEach(function (canvas) {
    var c = data.sentiment[Number(canvas.dataset.index)];
    new Chart(canvas, {type: "bar", data: {
      labels: c.series.map(function (b) { return tick(b.bucket); }),
      datasets: ["positive", "neutral", "negative"].map(function (s) {
        return {label: L[s], data: c.series.map(function (b) { return b[s]; }), backgroundColor: sentimentColours[s]};
      })}, options: common(true)});
  });

  var share = document.getElementById("share-chart");
  if (share && data.share.length) {
    new Chart(share, {type: "doughnut", data: {
      labels: data.share.map(function (v) { return v.name; }),
      datasets: [{data: data.share.map(function (v) { return v.posts; }),
                  backgroundColor: data.share.map(function (v) { return C[v.campaign] || "#57606a"; })}]},
      options: {responsive: true, maintainAspectRatio: false, plugins: {legend: {position: "right"}}}});
  }

  var hoax = document.getElementById("hoax-chart");
  if (hoax && data.hoax.length) {
    new Chart(hoax, {type: "bar", data: byCampaign(data.hoax, function (b) { return b.hoax; }, "bar"),
                     options: common(false)});
  }
})();
