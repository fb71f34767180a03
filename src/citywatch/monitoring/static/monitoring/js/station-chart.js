/*
 * A station's time series (ECharts). The readings come from the observations API downsampled by the
 * server (GET /api/v1/monitoring/observations?station&variable&since&until&agg&interval): the range is cut
 * into at most ~600 intervals (interval = range / 600, rounded up to whole minutes, at least one) and each
 * interval answers one aggregate (rain: sum, levels: max,
 * others: mean, unless chosen), so a year of 5-minute data draws as quickly as a day. The thresholds of
 * the rules watching the station are drawn as dashed lines in their level's colour: a threshold rule's on
 * the readings, a summing window rule's (3-hour rainfall) on a second line, the trailing sum over its window. window.citywatchChart exposes the chart
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

  function markLine(rule, level) {
    const colour = COLOURS[level.level] || "#64748b";
    // Two rules' labels at the same value sit at the two ends of the line.
    const position = thresholds.indexOf(rule) % 2 ? "insideStartTop" : "insideEndTop";
    return {
      yAxis: level.value,
      name: rule.rule,
      lineStyle: { color: colour, type: "dashed" },
      label: { formatter: `${rule.rule} ${level.value}`, color: colour, position: position },
    };
  }

  /** The trailing-window sum at every point (readings or buckets with t in (T − window, T]). */
  function rollingSum(data, minutes) {
    const out = [];
    const width = minutes * 60e3;
    let lo = 0;
    let sum = 0;
    for (let hi = 0; hi < data.length; hi++) {
      const t = new Date(data[hi][0]).getTime();
      sum += data[hi][1] || 0;
      while (new Date(data[lo][0]).getTime() <= t - width) sum -= data[lo++][1] || 0;
      out.push([data[hi][0], Math.round(sum * 10) / 10]);
    }
    return out;
  }

  /** The series to draw: the readings with the threshold rules' levels, and for each summing window rule
      its trailing sum with that rule's levels (thresholds of a window rule apply to the window's sum). */
  function seriesFor(variable, data, agg, name) {
    const threshold = thresholds.filter((r) => r.variable === variable && r.kind === "threshold");
    const summing = agg === "sum" ? thresholds.filter((r) => r.variable === variable && r.kind === "window" && r.aggregate === "sum") : [];
    const series = [
      {
        name: name,
        type: SUMMED.has(variable) && agg === "sum" ? "bar" : "line",
        showSymbol: data.length < 80,
        data: data,
        markLine: { symbol: "none", silent: true, data: threshold.flatMap((r) => r.levels.map((l) => markLine(r, l))) },
      },
    ];
    for (const rule of summing) {
      series.push({
        name: `${rule.rule} · ${interpolate(gettext("trailing %s min sum"), [rule.window])}`,
        type: "line",
        showSymbol: false,
        data: rollingSum(data, rule.window),
        lineStyle: { width: 2 },
        markLine: { symbol: "none", silent: true, data: rule.levels.map((l) => markLine(rule, l)) },
      });
    }
    return series;
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
      const drawn = seriesFor(variable, data, aggregate(variable), variableSelect.options[variableSelect.selectedIndex].text);
      const levels = drawn.flatMap((d) => d.markLine.data.map((m) => m.yAxis));
      const lowest = levels.length ? Math.min(...levels) : -Infinity;
      chart.setOption(
        {
          animation: false,
          grid: { left: 60, right: 30, top: 30, bottom: 60 },
          tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v} ${unit}`) },
          legend: { top: 0, right: 10 },
          xAxis: { type: "time", min: start, max: end },
          // The axis reaches the lowest level drawn, so a quiet series still shows how far the alarm is.
          yAxis: { type: "value", name: unit, scale: true, max: (v) => Math.max(v.max, lowest * 1.1) },
          dataZoom: [{ type: "inside" }, { type: "slider", height: 20, bottom: 10 }],
          series: drawn,
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
