/* Analyst page: mentions over time for the search, from the JSON the server embedded (every bucket, empty ones as 0,
   so the category axis is a real time axis); spike buckets are drawn red. Chart.js draws on canvas: no HTML from data. */
(function () {
  "use strict";
  var canvas = document.getElementById("volume-chart"), source = document.getElementById("volume-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var hourly = data.interval === "hour";
  var label = function (iso) { return hourly ? iso.slice(0, 10) + " " + iso.slice(11, 16) : iso.slice(0, 10); };
  Chart.defaults.animation = false;
  new Chart(canvas, {type: "bar", data: {
    labels: data.buckets.map(function (b) { return label(b.start); }),
    datasets: [{label: data.labels.posts, data: data.buckets.map(function (b) { return b.posts; }),
                backgroundColor: data.buckets.map(function (b) { return b.spike ? "#cf222e" : "#0969da"; })}]},
    options: {responsive: true, maintainAspectRatio: false, plugins: {legend: {display: false}, tooltip: {callbacks: {
      afterLabel: function (ctx) { return data.buckets[ctx.dataIndex].spike ? data.labels.spike : ""; }}}},
      scales: {y: {beginAtZero: true, ticks: {precision: 0}}, x: {ticks: {maxRotation: 0, autoSkip: true}}}}});
})();
