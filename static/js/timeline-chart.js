// Patient timeline: dose schedule, CIWA-B totals over severity bands, phases as background
// bands, vital signs beneath, on one time axis. Data comes from a json_script element.
(function () {
  const element = document.getElementById("timeline-chart");
  const source = document.getElementById("timeline-data");
  if (!element || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const chart = window.echarts.init(element, null, { renderer: "svg" });

  const bandColours = { mild: "rgba(13,202,240,0.10)", moderate: "rgba(255,193,7,0.16)",
                        severe: "rgba(253,126,20,0.18)", "very severe": "rgba(220,53,69,0.18)" };
  const phaseColours = { tapering: "rgba(29,53,87,0.06)", acute: "rgba(214,51,132,0.10)",
                         protracted: "rgba(111,66,193,0.08)", post_withdrawal: "rgba(25,135,84,0.06)" };
  const endOf = (day) => { const d = new Date(day); d.setDate(d.getDate() + 1); return d.toISOString().slice(0, 10); };

  const series = [
    {
      name: "CIWA-B total", type: "line", xAxisIndex: 0, yAxisIndex: 0, data: data.totals,
      symbolSize: 7, lineStyle: { width: 2, color: "#b02a37" }, itemStyle: { color: "#b02a37" },
      markArea: {
        silent: true,
        data: data.severity_bands.map((band) => [
          { yAxis: band.from, itemStyle: { color: bandColours[band.name] }, name: band.name,
            label: { position: "insideLeft", color: "#6c757d", fontSize: 10 } },
          { yAxis: band.to },
        ]),
      },
      markLine: { silent: true, symbol: "none", label: { formatter: "today" },
                  lineStyle: { color: "#d63384", type: "dashed" }, data: [{ xAxis: data.today }] },
    },
    {
      name: "Alarm flags", type: "scatter", xAxisIndex: 0, yAxisIndex: 0, symbol: "triangle",
      symbolSize: 14, itemStyle: { color: "#dc3545" },
      data: data.flags.filter(([, total]) => total !== null)
        .map(([when, total, flags]) => ({ value: [when, total], flags })),
      tooltip: { formatter: (p) => `${p.value[0].slice(0, 16).replace("T", " ")}: ${p.data.flags}` },
    },
    {
      // Event-only logs (CIWA-B not assessed): a marker along the top edge, never a score of 0.
      name: "Events, CIWA-B not assessed", type: "scatter", xAxisIndex: 0, yAxisIndex: 0,
      symbol: "diamond", symbolSize: 16, itemStyle: { color: "#842029" },
      data: data.events.map(([when, flags]) => ({ value: [when, data.max_total], flags })),
      tooltip: { formatter: (p) => `${p.value[0].slice(0, 16).replace("T", " ")}: ${p.data.flags} (CIWA-B not assessed)` },
    },
    {
      name: "Phases", type: "line", xAxisIndex: 0, yAxisIndex: 0, data: [], silent: true,
      markArea: {
        silent: true,
        data: data.phases.map((phase) => [
          { xAxis: phase.start, name: phase.label, itemStyle: { color: phaseColours[phase.phase] },
            label: { position: "insideTop", color: "#495057", fontSize: 11 } },
          { xAxis: endOf(phase.end) },
        ]),
      },
    },
    ...data.doses.map((dose) => ({
      name: `Dose (mg/day): ${dose.name}`, type: "line", step: "end", xAxisIndex: 0, yAxisIndex: 1,
      data: dose.points, showSymbol: false, lineStyle: { width: 2.5, color: "#1d3557" },
      itemStyle: { color: "#1d3557" },
    })),
  ];
  const vitals = [
    ["heart_rate", "Pulse", "#0d6efd", 2], ["systolic_bp", "Systolic", "#6f42c1", 2],
    ["diastolic_bp", "Diastolic", "#a58bd9", 2], ["respiratory_rate", "Resp. rate", "#20c997", 2],
    ["temperature_c", "Temp °C", "#fd7e14", 3],
  ];
  vitals.forEach(([key, name, colour, axis]) => series.push({
    name, type: "line", xAxisIndex: 1, yAxisIndex: axis, data: data.vitals[key] || [],
    symbolSize: 5, lineStyle: { width: 1.5, color: colour }, itemStyle: { color: colour },
  }));

  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "line" } },
    axisPointer: { link: [{ xAxisIndex: "all" }] },
    legend: { top: 0, type: "scroll" },
    grid: [{ left: 56, right: 64, top: 40, height: "52%" }, { left: 56, right: 64, top: "70%", height: "22%" }],
    xAxis: [
      { type: "time", gridIndex: 0, min: data.start, max: data.end, axisLabel: { formatter: { day: "{d} {MMM}", month: "{MMM}", year: "{yyyy}" } } },
      { type: "time", gridIndex: 1, min: data.start, max: data.end, axisLabel: { formatter: { day: "{d} {MMM}", month: "{MMM}", year: "{yyyy}" } } },
    ],
    yAxis: [
      { type: "value", gridIndex: 0, name: "CIWA-B", min: 0, max: data.max_total },
      { type: "value", gridIndex: 0, name: "mg/day", position: "right", min: 0, splitLine: { show: false } },
      { type: "value", gridIndex: 1, name: "vitals", scale: true },
      { type: "value", gridIndex: 1, name: "°C", position: "right", min: 34, max: 41, splitLine: { show: false } },
    ],
    dataZoom: [{ type: "inside", xAxisIndex: [0, 1] }],
    series,
  });
  chart.on("click", (params) => {
    const row = data.totals[params.dataIndex];
    if (params.seriesName === "CIWA-B total" && row) window.location.href = `/logs/${row[2]}/`;
  });
  window.addEventListener("resize", () => chart.resize());
  window.addEventListener("beforeprint", () => chart.resize());
})();
