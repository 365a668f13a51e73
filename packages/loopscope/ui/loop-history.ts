/**
 * The loop samples the chart draws, as uPlot's column arrays, bounded to the last
 * {@link MAX_SAMPLES}. Kept outside Preact's state: a push each second changes only the
 * chart, not the rest of the page.
 */
import type { LoopSample } from "../src/protocol/index.js";

export const MAX_SAMPLES = 600;

export class LoopHistory {
  /** Seconds (uPlot's time unit), then p50, p99, max (ms) and utilisation (0 to 1). */
  readonly columns: [number[], number[], number[], number[], number[]] = [[], [], [], [], []];
  private readonly listeners = new Set<() => void>();

  get lastTime(): number {
    const times = this.columns[0];
    return times.length > 0 ? times[times.length - 1]! * 1000 : -Infinity;
  }

  /** The history the server kept (at load and after a reconnect), newer live samples after it. */
  replace(samples: readonly LoopSample[]): void {
    for (const column of this.columns) column.length = 0;
    for (const sample of samples) this.push(sample);
    this.trim();
    this.changed();
  }

  append(sample: LoopSample): void {
    // A sample the history fetch already brought (the two race at connect) is not drawn twice.
    if (sample.time <= this.lastTime) return;
    this.push(sample);
    this.trim();
    this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private push(sample: LoopSample): void {
    const [times, p50, p99, max, utilization] = this.columns;
    times.push(sample.time / 1000);
    p50.push(sample.delayP50Ms);
    p99.push(sample.delayP99Ms);
    max.push(sample.delayMaxMs);
    utilization.push(sample.utilization);
  }

  private trim(): void {
    const excess = this.columns[0].length - MAX_SAMPLES;
    if (excess > 0) for (const column of this.columns) column.splice(0, excess);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
