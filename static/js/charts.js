// Charts of the scorecard and the program dashboard, drawn with the vendored Chart.js.
// A chart is a <canvas data-chart="ID"> beside <script type="application/json" id="ID"> (Django's
// json_script) holding {"kind": "line"|"bar"|"stacked", "labels": [...], "unit": "USD",
// "series": [{"label", "values": [...]}], "links": [url|null per label]}. No inline scripts or
// styles: the CSP forbids them, so the configuration travels as JSON data.
// Series are told apart without colour: each has its own point shape and line dash (lines) or
// fill pattern (bars), besides a colour of the Okabe-Ito palette, which colour-blind readers
// can separate. The same figures are in the table under each chart (the text alternative).
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var COLOURS = ["#0060a8", "#b35900", "#00745f", "#a8327f", "#5e5e5e", "#6a4c93"];
  var SHAPES = ["circle", "rectRot", "triangle", "rect", "star", "crossRot"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 2], [8, 8]];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function pattern(colour, index) {
    if (index === 0) {
      return colour;
    }
    var tile = document.createElement("canvas");
    tile.width = 8;
    tile.height = 8;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = colour;
    ctx.globalAlpha = 0.35;
    ctx.fillRect(0, 0, 8, 8);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = 2;
    if (index % 3 === 1) { // diagonal stripes
      ctx.beginPath();
      ctx.moveTo(0, 8);
      ctx.lineTo(8, 0);
      ctx.stroke();
    } else if (index % 3 === 2) { // dots
      ctx.beginPath();
      ctx.arc(4, 4, 1.8, 0, 2 * Math.PI);
      ctx.fill();
    } else { // horizontal lines
      ctx.fillRect(0, 3, 8, 2);
    }
    return tile.getContext("2d").createPattern(tile, "repeat");
  }

  function format(value, unit) {
    if (value === null || value === undefined) {
      return "–";
    }
    var text = Number(value).toLocaleString(document.documentElement.lang || "en", { maximumFractionDigits: 1 });
    return unit ? text + " " + unit : text;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var lines = spec.kind === "line";
    // Counts (every value whole) get whole-number steps: no "2.5 registrations" on the axis.
    var whole = spec.series.every(function (series) {
      return series.values.every(function (v) { return v === null || Number.isInteger(Number(v)); });
    });
    var datasets = spec.series.map(function (series, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: series.label,
        data: series.values.map(function (v) { return v === null ? null : Number(v); }),
        borderColor: colour,
        backgroundColor: lines ? colour : pattern(colour, i),
        borderWidth: 2,
        borderDash: lines ? DASHES[i % DASHES.length] : [],
        pointStyle: SHAPES[i % SHAPES.length],
        pointRadius: lines ? 4 : 0,
        pointHoverRadius: 6,
        tension: 0,
        spanGaps: true,
      };
    });
    var chart = new window.Chart(canvas, {
      type: lines ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: spec.kind === "stacked", ticks: { color: "#333" } },
          y: {
            stacked: spec.kind === "stacked",
            beginAtZero: true,
            ticks: { color: "#333", precision: whole ? 0 : undefined, callback: function (v) { return format(v, ""); } },
            title: { display: Boolean(spec.unit), text: spec.unit || "", color: "#333" },
          },
        },
        plugins: {
          legend: { display: spec.series.length > 1, labels: { usePointStyle: true, color: "#222" } },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + format(item.raw, spec.unit); } } },
        },
        onClick: function (event, elements) {
          if (!spec.links || !elements.length) {
            return;
          }
          var url = spec.links[elements[0].index];
          if (url) {
            window.location.assign(url);
          }
        },
        onHover: function (event, elements) {
          var clickable = spec.links && elements.length && spec.links[elements[0].index];
          event.native.target.style.cursor = clickable ? "pointer" : "default";
        },
      },
    });
    canvas.chart = chart;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
