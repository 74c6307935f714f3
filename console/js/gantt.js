// An execution's timeline as a Gantt chart: one row per agent, bars placed by start and end time,
// so agents that ran in parallel show as overlapping bars on their own rows.

import { formatDuration, h } from "./dom.js";

/** The chart for /timeline entries; running agents extend to `now`. */
export function ganttChart(entries, now = Date.now()) {
  const spans = entries.map((entry) => {
    const start = Date.parse(entry.started_at);
    const end = entry.completed_at ? Date.parse(entry.completed_at) : now;
    return { ...entry, start, end: Math.max(end, start) };
  });
  const started = spans.filter((span) => !Number.isNaN(span.start));
  if (!started.length) return h("p", { class: "empty" }, "No agent has started yet.");
  const origin = Math.min(...started.map((span) => span.start));
  const total = Math.max(1, Math.max(...started.map((span) => span.end)) - origin);
  const percent = (ms) => `${((ms / total) * 100).toFixed(3)}%`;

  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) =>
    h("span", { class: "gantt-tick", style: { left: `${fraction * 100}%` } }, `+${formatDuration(total * fraction)}`),
  );
  const rows = spans.map((span) => {
    const hasStarted = !Number.isNaN(span.start);
    const offset = hasStarted ? span.start - origin : 0;
    const length = hasStarted ? span.end - span.start : 0;
    const summary = hasStarted
      ? `${span.agent_id} ${span.status}: started at +${formatDuration(offset)}, ran ${formatDuration(span.duration_ms ?? length)}`
      : `${span.agent_id} ${span.status}: not started`;
    return h(
      "li",
      { class: "gantt-row", "data-agent": span.agent_id },
      h("span", { class: "gantt-label" }, h("strong", {}, span.agent_id), h("small", {}, span.agent_type)),
      h(
        "span",
        { class: "gantt-track" },
        hasStarted
          ? h(
              "span",
              {
                class: `gantt-bar status-${span.status}`,
                title: summary,
                style: { left: percent(offset), width: `max(${percent(length)}, 3px)` },
              },
              h("span", { class: "gantt-duration" }, formatDuration(span.duration_ms ?? length)),
            )
          : null,
        h("span", { class: "visually-hidden" }, summary),
      ),
    );
  });
  return h(
    "figure",
    { class: "gantt" },
    h("figcaption", {}, `Timeline: ${spans.length} agents over ${formatDuration(total)}`),
    h("div", { class: "gantt-axis", "aria-hidden": "true" }, h("span", { class: "gantt-label" }), h("span", { class: "gantt-ticks" }, ticks)),
    h("ol", { class: "gantt-rows" }, rows),
  );
}
