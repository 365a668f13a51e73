/**
 * The heartbeat's idle mode (Linux): an idle loop stops beating and the watchdog thread
 * watches the main thread's state in /proc instead. A block that begins then (the typical
 * case: an idle service gets a request and its handler blocks) is still captured while it
 * blocks, with the early notice on stderr, and measured when it ends.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoopBlockedEvent } from "../../src/protocol/index.js";
import { assertBuilt, cleanEnv, fixture, start } from "../fixtures/child-process.js";
import { ofType, readEventsFile } from "../fixtures/events-file.js";
import { firstAppFrame, markedLine } from "./fixture.js";

const FROM_IDLE = fixture("watchdog/from-idle.js");
const linux = process.platform === "linux" && ["x64", "arm64"].includes(process.arch);

interface IdleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly blocks: LoopBlockedEvent[];
}

describe("the heartbeat's idle mode", { skip: !linux && "idle mode is Linux's" }, () => {
  let scratch: string;
  let runs = 0;
  before(() => {
    assertBuilt();
    scratch = mkdtempSync(join(tmpdir(), "loopscope-idle-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** Run the fixture under the preload; `during` runs while it does (it gets the child's stdout waiter). */
  async function runFromIdle(
    scenario: string,
    during?: (waitForStdout: (pattern: RegExp) => Promise<RegExpMatchArray>) => Promise<void>,
  ): Promise<IdleRun> {
    const eventsFile = join(scratch, `events-${++runs}.jsonl`);
    const child = start(process.execPath, ["--import", "loopscope/register", FROM_IDLE, scenario], {
      env: cleanEnv({ LOOPSCOPE_EVENTS: eventsFile, LOOPSCOPE_SLOW_MS: "100" }),
    });
    await during?.(child.waitForStdout);
    const { code, stdout, stderr } = await child.finished;
    return { code, stdout, stderr, blocks: ofType(readEventsFile(eventsFile), "loop-blocked") };
  }

  function blockAt(run: IdleRun, fn: string): LoopBlockedEvent {
    const block = run.blocks.find((event) => firstAppFrame(event.stack)?.fn === fn);
    assert.ok(
      block !== undefined,
      `no block in ${fn}: ${JSON.stringify(run.blocks)}\n${run.stderr}`,
    );
    return block;
  }

  /** The block began in idle mode, and the early notice came while it blocked, at its line. */
  function assertNoticedWhileBlocked(run: IdleRun, line: number): void {
    assert.match(run.stderr, /BLOCK BEGAN idle\n/, run.stderr);
    const began = run.stderr.indexOf("BLOCK BEGAN");
    const notice = run.stderr.indexOf("still blocked", began);
    const ended = run.stderr.indexOf("BLOCK ENDED", began);
    assert.ok(notice > began, `no early notice after the block began:\n${run.stderr}`);
    assert.ok(ended > notice, `the notice came after the block ended:\n${run.stderr}`);
    assert.match(run.stderr.slice(notice, ended), new RegExp(`at busyLoop \\(.*:${line}:`));
  }

  it("is entered on an idle loop, left when work starts, entered again after", async () => {
    const run = await runFromIdle("modes");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /MODES idle beating idle\n/, run.stderr);
  });

  it("captures a busy loop that began in a timer while idle, and notices it while it blocks", async () => {
    const run = await runFromIdle("timer-busy");
    assert.equal(run.code, 0, run.stderr);
    const line = markedLine("busy", FROM_IDLE);
    assertNoticedWhileBlocked(run, line);
    const block = blockAt(run, "busyLoop");
    assert.equal(firstAppFrame(block.stack)?.line, line);
    // Measured across idle mode: the 600 ms the loop was held, not the idle time before.
    assert.ok(block.durationMs >= 550 && block.durationMs < 1900, `duration ${block.durationMs}`);
  });

  it("captures a busy loop that began in a socket's callback while idle", async () => {
    const run = await runFromIdle("socket-busy", async (waitForStdout) => {
      const [, port] = await waitForStdout(/PORT (\d+)\n/);
      // Let the service sit idle, then send it a request.
      await sleep(2000);
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("request"));
      socket.on("error", () => undefined);
      socket.resume();
    });
    assert.equal(run.code, 0, run.stderr);
    assertNoticedWhileBlocked(run, markedLine("busy", FROM_IDLE));
    const block = blockAt(run, "busyLoop");
    assert.ok(block.durationMs >= 550 && block.durationMs < 1900, `duration ${block.durationMs}`);
  });

  for (const { scenario, fn } of [
    { scenario: "exec", fn: "runSleep" },
    { scenario: "atomics", fn: "waitOnAtomics" },
  ]) {
    it(`reports a block that waits outside the loop (${scenario}) and began while idle`, async () => {
      const run = await runFromIdle(scenario);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /BLOCK BEGAN idle\n/, run.stderr);
      const block = blockAt(run, fn);
      assert.equal(firstAppFrame(block.stack)?.line, markedLine(scenario, FROM_IDLE));
      assert.ok(block.durationMs >= 450 && block.durationMs < 1900, `duration ${block.durationMs}`);
    });
  }
});
