/*
 * A station's time series (ECharts). The readings come from the observations API downsampled by the
 * server (GET /api/v1/monitoring/observations?station&variable&since&until&agg&interval): the range is cut
 * into at most ~600 intervals (interval = range / 600, rounded up to whole minutes, at least one) and each
 * interval answers one aggregate (rain: sum, levels: max,
 * others: mean, unless chosen), so a year of 5-minute data draws as quickly as a day. The thresholds of
 * the rules watching the station are drawn as dashed lines in their level's colour (a window rule's
 * threshold applies to its window's aggregate: it is labelled so). window.citywatchChart exposes the chart
 * and the last answer for tests.
 */
(function () {
  "use strict";
  const el = document.getElementById("station-chart");
  if (!el || !window.echarts) return;
  const gettext = window.gettext || ((s) => s);
  const COLOURS = { blue: "#2563eb", yellow: "#eab308", orange: "#f97316", red: "#dc2626" };
  const SUMMED = new Set(["rain"]);
  const PEAK = new Set(["water_level", "tide_level", "wind_gust", "gas", "displacement"]);
  const MAX_POINTS = 600;
  const thresholds = JSON.parse(document.getElementById("station-thresholds").textContent);
  const variableSelect = document.getElementById("chart-variable");
  const rangeSelect = document.getElementById("chart-range");
  const startInput = document.getElementById("chart-start");
  const endInput = document.getElementById("chart-end");
  const aggSelect = document.getElementById("chart-agg");
  const statusEl = document.getElementById("chart-status");
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  window.addEventListener("resize", () => chart.resize());

  function localInput(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function range() {
    if (rangeSelect.value === "custom") {
      const start = new Date(startInput.value);
      const end = new Date(endInput.value);
      if (!isNaN(start) && !isNaN(end) && end > start) return [start, end];
    }
    const hours = Number(rangeSelect.value === "custom" ? 72 : rangeSelect.value);
    const end = new Date();
    return [new Date(end.getTime() - hours * 3600e3), end];
  }

  function aggregate(variable) {
    if (aggSelect.value) return aggSelect.value;
    if (SUMMED.has(variable)) return "sum";
    if (PEAK.has(variable)) return "max";
    return "mean";
  }

  function markLines(variable) {
    const lines = [];
    for (const rule of thresholds) {
      if (rule.variable !== variable) continue;
      for (const level of rule.levels) {
        const label = rule.kind === "window" ? `${rule.rule} (${rule.window} ${gettext("min")})` : rule.rule;
        lines.push({
          yAxis: level.value,
          name: label,
          lineStyle: { color: COLOURS[level.level] || "#64748b", type: "dashed" },
          label: { formatter: `${label} ${level.value}`, color: COLOURS[level.level] || "#64748b", position: "insideEndTop" },
        });
      }
    }
    return lines;
  }

  function pointsOf(answer) {
    // The series answers parallel arrays: time (reading times or bucket starts) and value.
    return (answer.time || []).map((t, i) => [t, answer.value[i]]);
  }

  async function draw() {
    const variable = variableSelect.value;
    const [start, end] = range();
    const minutes = Math.max(1, Math.ceil((end - start) / 60e3 / MAX_POINTS));
    const url = new URL(el.dataset.observationsUrl, window.location.origin);
    url.searchParams.set("station", el.dataset.station);
    url.searchParams.set("variable", variable);
    url.searchParams.set("since", start.toISOString());
    url.searchParams.set("until", end.toISOString());
    url.searchParams.set("agg", aggregate(variable));
    url.searchParams.set("interval", String(minutes * 60));
    statusEl.textContent = gettext("Loading…");
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      const answer = await response.json();
      if (!response.ok) throw new Error((answer.error && answer.error.message) || String(response.status));
      const data = pointsOf(answer);
      window.citywatchChart = { chart: chart, answer: answer, points: data };
      const unit = (answer.variable && answer.variable.unit) || "";
      chart.setOption(
        {
          animation: false,
          grid: { left: 60, right: 30, top: 30, bottom: 60 },
          tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v} ${unit}`) },
          xAxis: { type: "time", min: start, max: end },
          yAxis: { type: "value", name: unit, scale: true },
          dataZoom: [{ type: "inside" }, { type: "slider", height: 20, bottom: 10 }],
          series: [
            {
              name: variableSelect.options[variableSelect.selectedIndex].text,
              type: SUMMED.has(variable) && aggregate(variable) === "sum" ? "bar" : "line",
              showSymbol: data.length < 80,
              data: data,
              markLine: { symbol: "none", silent: true, data: markLines(variable) },
            },
          ],
        },
        true,
      );
      const names = { sum: gettext("sum"), mean: gettext("mean"), max: gettext("maximum"), min: gettext("minimum") };
      statusEl.textContent = interpolate(gettext("%s values, one per %s min (%s)."), [data.length, minutes, names[aggregate(variable)]]);
      el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1);
    } catch (err) {
      statusEl.textContent = gettext("The readings could not be loaded.") + " " + err.message;
    }
  }

  function interpolate(text, values) {
    if (window.interpolate) return window.interpolate(text, values);
    let i = 0;
    return text.replace(/%s/g, () => values[i++]);
  }

  rangeSelect.addEventListener("change", () => {
    const custom = rangeSelect.value === "custom";
    startInput.disabled = endInput.disabled = !custom;
    if (custom && !startInput.value) {
      const [start, end] = range();
      startInput.value = localInput(start);
      endInput.value = localInput(end);
    }
    if (!custom) draw();
  });
  variableSelect.addEventListener("change", draw);
  aggSelect.addEventListener("change", draw);
  document.getElementById("chart-controls").addEventListener("submit", (e) => {
    e.preventDefault();
    draw();
  });
  draw();
})();
