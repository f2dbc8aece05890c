/* Legami: the bar charts of the reports (the piano di zona report, the coordination
 * dashboard, the public figures), drawn with Chart.js from the data attributes of each
 * canvas[data-report-chart]: data-labels (JSON array) and either data-values (one
 * series, named by data-label) or data-series (JSON array of {label, values}: several
 * series side by side, with a legend). A value hidden as "<5" is null and is not
 * plotted, and the page says so. The table next to each chart holds the same figures
 * for screen readers. No inline script or style (CSP). */
(function () {
  "use strict";

  var COLOURS = ["#0066cc", "#99c2eb"];

  function parse(text) {
    try { return JSON.parse(text || "[]"); } catch (error) { return []; }
  }

  function draw(attempt) {
    var canvases = document.querySelectorAll("canvas[data-report-chart]");
    if (!canvases.length) { return; }
    if (!window.Chart) {
      if ((attempt || 0) < 50) { window.setTimeout(function () { draw((attempt || 0) + 1); }, 100); }
      return;
    }
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (canvas.dataset.drawn === "true") { return; }
      canvas.dataset.drawn = "true";
      var labels = parse(canvas.dataset.labels);
      var series = canvas.dataset.series
        ? parse(canvas.dataset.series)
        : [{ label: canvas.dataset.label || "", values: parse(canvas.dataset.values) }];
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: labels,
          datasets: series.map(function (item, index) {
            return { label: item.label || "", data: item.values || [], backgroundColor: COLOURS[index % COLOURS.length] };
          })
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          indexAxis: labels.length > 6 ? "y" : "x",
          plugins: { legend: { display: series.length > 1 } },
          scales: { y: { beginAtZero: true } }
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(0); });
  } else {
    draw(0);
  }
})();
