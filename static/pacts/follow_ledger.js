/* Legami: the hours of a pact per month, given back and received, drawn with Chart.js
 * from the json_script element "ledger-chart-data". The table under the chart holds the
 * same data for screen readers. No inline script or style (CSP). */
(function () {
  "use strict";

  function draw(attempt) {
    var source = document.getElementById("ledger-chart-data");
    var canvas = document.querySelector("canvas[data-ledger-chart]");
    if (!source || !canvas || canvas.dataset.drawn === "true") { return; }
    if (!window.Chart) {
      if ((attempt || 0) < 50) { window.setTimeout(function () { draw((attempt || 0) + 1); }, 100); }
      return;
    }
    var data = JSON.parse(source.textContent);
    canvas.dataset.drawn = "true";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.given_label, data: data.given, backgroundColor: "#0066cc" },
          { label: data.received_label, data: data.received, backgroundColor: "#008055" }
        ]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(0); });
  } else {
    draw(0);
  }
})();
