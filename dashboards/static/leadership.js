/* Leadership charts from the JSON embedded by the server (Chart.js draws on canvas: no HTML from data). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var L = data.labels;
  var colours = {positive: "#1a7f37", neutral: "#8c959f", negative: "#cf222e"};
  var palette = ["#0969da", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#1b7c83", "#953800"];
  var printBtn = document.getElementById("print");
  if (printBtn) printBtn.addEventListener("click", function () { window.print(); });
  if (typeof Chart === "undefined") return;
  Chart.defaults.animation = false;
  var day = function (iso) { return String(iso).slice(0, 10) + (String(iso).slice(11, 13) !== "00" ? " " + String(iso).slice(11, 16) : ""); };

  document.querySelectorAll("canvas.sentiment-chart").forEach(function (canvas) {
    var c = data.sentiment[Number(canvas.dataset.index)];
    new Chart(canvas, {type: "line", data: {
      labels: c.series.map(function (b) { return day(b.bucket); }),
      datasets: ["positive", "neutral", "negative"].map(function (s) {
        return {label: L[s], data: c.series.map(function (b) { return b[s]; }), borderColor: colours[s],
                backgroundColor: colours[s], tension: 0.2};
      })}, options: {responsive: true, scales: {y: {beginAtZero: true}}}});
  });

  var share = document.getElementById("share-chart");
  if (share && data.share.campaigns.length) {
    new Chart(share, {type: "doughnut", data: {
      labels: data.share.campaigns.map(function (v) { return v.name; }),
      datasets: [{data: data.share.campaigns.map(function (v) { return v.posts; }),
                  backgroundColor: data.share.campaigns.map(function (_, i) { return palette[i % palette.length]; })}]},
      options: {responsive: true, maintainAspectRatio: false, plugins: {legend: {position: "right"}}}});
  }

  var hoax = document.getElementById("hoax-chart");
  if (hoax && data.hoax.length) {
    var buckets = {};
    data.hoax.forEach(function (c) { c.series.forEach(function (b) { buckets[b.bucket] = true; }); });
    var keys = Object.keys(buckets).sort();
    new Chart(hoax, {type: "bar", data: {labels: keys.map(day), datasets: data.hoax.map(function (c, i) {
      var m = {}; c.series.forEach(function (b) { m[b.bucket] = b.hoax; });
      return {label: c.name, data: keys.map(function (k) { return m[k] || 0; }),
              backgroundColor: palette[i % palette.length]};
    })}, options: {responsive: true, maintainAspectRatio: false,
                   scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
  }
})();
