import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBroker } from "../../src/broker/index.js";
import type { MayhemConfig } from "../../src/config/index.js";
import { defaultConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log/index.js";
import { runService, yieldSleeper } from "../../src/service/index.js";

const MESSAGES = 2;

/**
 * Runs the service with `--inject blocking-save` until every message is acked
 * and returns the length of each injected block, in the order they were drawn
 * (read from the per-message log line each block writes).
 */
async function injectedBlocks(seed: number): Promise<number[]> {
  const config: MayhemConfig = {
    ...defaultConfig(),
    seed,
    inject: ["blocking-save"],
    publishCount: MESSAGES,
    // Each message is handled once: a failed save would block (and draw) again.
    saveFailureProbability: 0,
    restartFailureProbability: 0,
    nackDelayMs: 0,
  };
  const blocks: number[] = [];
  const logger = createLogger({
    level: "info",
    format: "json",
    destination: {
      write(line: string) {
        const entry = JSON.parse(line) as { blockMs?: number };
        if (entry.blockMs !== undefined) blocks.push(entry.blockMs);
      },
    },
  });
  let acked = 0;
  let allAcked: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allAcked = resolve;
  });
  const service = runService(config, new MemoryBroker(), logger, {
    sleeper: yieldSleeper,
    onOutcome: (outcome) => {
      if (outcome === "acked" && ++acked === MESSAGES) allAcked();
    },
  });
  await done;
  await service.shutdown("test done");
  return blocks;
}

describe("--seed", () => {
  it("makes the injected defects draw the same block lengths in two runs of one seed", async () => {
    const first = await injectedBlocks(7);
    const second = await injectedBlocks(7);
    assert.equal(first.length, MESSAGES, "one block per message");
    assert.deepEqual(second, first);
  });

  it("draws other block lengths for another seed", async () => {
    assert.notDeepEqual(await injectedBlocks(8), await injectedBlocks(7));
  });
});
