/** Loop delay (p50, p99, max) and utilisation over the last ten minutes, drawn by uPlot. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { LoopHistory } from "../loop-history.js";
import { formatMs } from "../format.js";

const HEIGHT = 220;

function chartOptions(width: number): uPlot.Options {
  const axisColor = "#9aa4b2";
  const grid = { stroke: "rgba(154, 164, 178, 0.15)", width: 1 };
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, ms: { auto: true }, util: { range: [0, 1] } },
    series: [
      {},
      { label: "p50", scale: "ms", stroke: "#4fc3f7", width: 1.5, value: (_u, v) => fmt(v) },
      { label: "p99", scale: "ms", stroke: "#ffb74d", width: 1.5, value: (_u, v) => fmt(v) },
      { label: "max", scale: "ms", stroke: "#ef5350", width: 1, value: (_u, v) => fmt(v) },
      {
        label: "utilisation",
        scale: "util",
        stroke: "#81c784",
        width: 1,
        dash: [4, 4],
        value: (_u, v) => (v === null ? "–" : `${Math.round(v * 100)} %`),
      },
    ],
    axes: [
      {
        stroke: axisColor,
        grid,
        ticks: grid,
        // Wall-clock time, to the second: samples come once a second.
        // Ticks between whole seconds would repeat a label: left blank.
        values: (_u, splits) =>
          splits.map((seconds) => (Number.isInteger(seconds) ? clockTime(seconds) : "")),
        space: 70,
      },
      {
        scale: "ms",
        label: "delay (ms)",
        stroke: axisColor,
        grid,
        ticks: grid,
        size: 60,
      },
      {
        scale: "util",
        label: "utilisation",
        side: 1,
        stroke: axisColor,
        grid: { show: false },
        ticks: grid,
        values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`),
      },
    ],
  };
}

/** `HH:MM:SS` of an epoch time in seconds (uPlot's x values). */
function clockTime(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
}

/** Runs `callback` when the page is idle (at most a second from now); cancellable. */
function whenIdle(callback: () => void): { cancel(): void } {
  if (typeof requestIdleCallback === "function") {
    const handle = requestIdleCallback(callback, { timeout: 1000 });
    return { cancel: () => cancelIdleCallback(handle) };
  }
  const timer = setTimeout(callback, 0);
  return { cancel: () => clearTimeout(timer) };
}

function fmt(value: number | null): string {
  return value === null ? "–" : formatMs(value);
}

export function LoopChart({ history }: { readonly history: LoopHistory }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    // The number of samples drawn, for whoever watches the page (tests): set here, not by a
    // render, so a new sample costs the chart's redraw alone.
    const count = (drawn: number): void => {
      element.dataset.points = String(drawn);
    };
    count(0);
    let chart: uPlot | null = null;
    let resize: ResizeObserver | null = null;
    let unsubscribe: (() => void) | null = null;
    // Building the chart (canvas, axes, the first draw) waits for an idle moment: the first
    // render of the tables and the history's fetch go first, and no task holds them all.
    const create = (): void => {
      const created = new uPlot(
        chartOptions(Math.max(300, element.clientWidth)),
        history.columns,
        element,
      );
      chart = created;
      count(history.columns[0].length);
      unsubscribe = history.subscribe(() => {
        created.setData(history.columns);
        count(history.columns[0].length);
      });
      // Resizes are rare; reading the width only then keeps the per-second redraw layout-free.
      resize = new ResizeObserver((entries) => {
        const width = Math.floor(entries[0]?.contentRect.width ?? 0);
        if (width > 0 && width !== created.width) created.setSize({ width, height: HEIGHT });
      });
      resize.observe(element);
    };
    const idle = whenIdle(create);
    return () => {
      idle.cancel();
      resize?.disconnect();
      unsubscribe?.();
      chart?.destroy();
    };
  }, [history]);
  return (
    <section class="panel chart-panel" aria-label="event loop delay and utilisation">
      <h2>Event loop</h2>
      <div class="loop-chart" data-testid="loop-chart" ref={container} />
    </section>
  );
}
