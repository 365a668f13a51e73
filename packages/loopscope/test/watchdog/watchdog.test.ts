import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  FIXTURE,
  LATE_FIXTURE,
  applicationBlocks,
  firstAppFrame,
  markedLine,
  runFixture,
} from "./fixture.js";

describe("watchdog: the stack of whatever blocks the loop", () => {
  const cases = [
    { scenario: "busy", fn: "busyLoop", args: ["100"] },
    { scenario: "regex", fn: "catastrophicRegex", args: ["100", "22"] },
    { scenario: "pbkdf2", fn: "deriveKey", args: ["100", "1500000"] },
    { scenario: "exec", fn: "runSleep", args: ["100"] },
  ];
  for (const { scenario, fn, args } of cases) {
    it(`reports one loop-blocked event naming ${fn} and its line (${scenario})`, async () => {
      const run = await runFixture([scenario, ...args]);
      assert.equal(run.code, 0, run.stderr);
      // The application's block only: a loaded machine may add stalls of its own.
      const blocks = applicationBlocks(run.events);
      assert.equal(blocks.length, 1, JSON.stringify(run.events));
      const [event] = blocks;
      assert.equal(event!.count, 1);
      assert.ok(event!.durationMs >= 100, `duration ${event!.durationMs}`);
      const frame = firstAppFrame(event!.stack);
      assert.equal(frame?.fn, fn);
      assert.equal(frame?.file, FIXTURE);
      assert.equal(frame?.line, markedLine(scenario));
    });
  }

  it("prints the blocking line on stderr while the loop is still blocked, then the report", async () => {
    const run = await runFixture(["notice", "100"]);
    assert.equal(run.code, 0, run.stderr);
    const notice = run.stderr.indexOf("still blocked");
    const ended = run.stderr.indexOf("BLOCK ENDED");
    const report = run.stderr.indexOf("loopscope: event loop blocked for", notice + 1);
    assert.ok(notice >= 0, `no early notice on stderr:\n${run.stderr}`);
    assert.ok(ended > notice, `the notice came after the block ended:\n${run.stderr}`);
    assert.ok(report > ended, `no report after the block ended:\n${run.stderr}`);
    const noticeText = run.stderr.slice(notice, ended);
    assert.match(noticeText, new RegExp(`at busyLoop \\(.*block\\.js:${markedLine("busy")}:`));
    assert.equal(applicationBlocks(run.events).length, 1, JSON.stringify(run.events));
  });

  it("prints the early line for a capture that came late while the block was still going on", async () => {
    // A native call holds the thread past the threshold, so the capture waits for it, as a
    // capture waits for a core on a loaded machine; then JavaScript keeps the loop blocked.
    const run = await runFixture(["late-busy", "100"], [], LATE_FIXTURE);
    assert.equal(run.code, 0, run.stderr);
    const notice = run.stderr.indexOf("still blocked");
    const ended = run.stderr.indexOf("BLOCK ENDED");
    assert.ok(notice >= 0, `no early notice on stderr:\n${run.stderr}`);
    assert.ok(ended > notice, `the notice came after the block ended:\n${run.stderr}`);
    assert.match(
      run.stderr.slice(notice, ended),
      new RegExp(`at sleepThenSpin \\(.*late\\.js:${markedLine("exec", LATE_FIXTURE)}:`),
    );
    const blocks = applicationBlocks(run.events);
    assert.equal(blocks.length, 1, JSON.stringify(run.events));
    const [event] = blocks;
    assert.equal(firstAppFrame(event!.stack)?.fn, "sleepThenSpin");
    // The block went on long after the capture: not the mark of a native call.
    assert.doesNotMatch(event!.note ?? "", /native call/);
  });

  it("names a JSON.parse in a timer at its line, though the thread answers only in Node's code after it", async () => {
    const run = await runFixture(["json-timer", "100"], [], LATE_FIXTURE);
    assert.equal(run.code, 0, run.stderr);
    // The parse's; a loaded machine may add a stall of its own.
    const parses = run.events.filter((event) => event.evidence.nativeCall === "JSON.parse");
    assert.ok(parses.length >= 1, JSON.stringify(run.events));
    const [event] = parses;
    assert.equal(event!.cause, "native-call");
    assert.ok(event!.durationMs >= 100, `duration ${event!.durationMs}`);
    // The line that made the call, seen as the call returned: not the timer code that ran next.
    const frame = firstAppFrame(event!.stack);
    assert.equal(frame?.file, LATE_FIXTURE);
    assert.equal(frame?.line, markedLine("json", LATE_FIXTURE));
  });

  const dir = mkdtempSync(join(tmpdir(), "loopscope-watchdog-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("names readFileSync of a large file at the calling line, as a native call", async () => {
    const big = join(dir, "big.bin");
    writeFileSync(big, Buffer.alloc(200 * 1024 * 1024, 7));
    const run = await runFixture(["readfile", "30", big]);
    rmSync(big);
    assert.equal(run.code, 0, run.stderr);
    // With a 30 ms threshold, a loaded machine adds stalls of its own: only the
    // application's block, the read, is checked.
    const reads = applicationBlocks(run.events);
    assert.equal(reads.length, 1, JSON.stringify(run.events));
    const frame = firstAppFrame(reads[0]!.stack);
    assert.equal(frame?.fn, "readBigFile");
    assert.equal(frame?.line, markedLine("readfile"));
    // The thread answers only when the native read returns; the call is seen returning.
    assert.equal(reads[0]!.cause, "native-call");
    assert.equal(reads[0]!.evidence.nativeCall, "fs.readFileSync");
  });

  it("reports nothing for blocks under the threshold", async (t) => {
    const run = await runFixture(["short", "100"]);
    assert.equal(run.code, 0, run.stderr);
    // A 40 ms block; a loaded machine can stretch it (then it is reported, rightly) and can
    // add stalls of its own (no application frame): judged on how long it really held.
    const [heldMs = 0] = run.blocksMs;
    if (heldMs >= 80) {
      t.skip(`the machine stretched the 40 ms block to ${Math.round(heldMs)} ms`);
      return;
    }
    assert.deepEqual(applicationBlocks(run.events), []);
  });

  it("coalesces repeated blocks at the same place into one report with a count", async () => {
    const run = await runFixture(["repeat", "60"]);
    assert.equal(run.code, 0, run.stderr);
    const blocks = applicationBlocks(run.events);
    // The first block is reported at once; the three repeats within the window once, at
    // stop. Not necessarily all three: on a loaded machine a repeat's capture can come only
    // after the loop turned, and that block is then reported without a stack (apart).
    assert.equal(blocks.length, 2, JSON.stringify(run.events));
    assert.equal(blocks[0]!.count, 1);
    assert.ok(blocks[1]!.count >= 2 && blocks[1]!.count <= 3, JSON.stringify(blocks));
    const lines = blocks.map((event) => firstAppFrame(event.stack)?.line);
    assert.deepEqual(lines, [markedLine("busy"), markedLine("busy")]);
    // Each report says when its block ended: the repeats' (reported at stop), after the first.
    const [first, repeats] = blocks;
    assert.equal(typeof first!.endedAt, "number", JSON.stringify(first));
    assert.ok(repeats!.endedAt! > first!.endedAt!, JSON.stringify(blocks));
  });

  it("reports repeats still counted in the coalescing window when the process exits", async () => {
    const run = await runFixture(["repeat-then-exit", "60"]);
    assert.equal(run.code, 0, run.stderr);
    // The first block at once, the three repeats at exit (the window is still open then).
    assert.match(run.stderr, /loopscope: event loop blocked for \d+ ms by JavaScript\n/);
    // Three, or two when a loaded machine kept a repeat's capture from coming in time.
    assert.match(
      run.stderr,
      /loopscope: event loop blocked for \d+ ms by JavaScript \([23] times\)/,
    );
  });

  it("lets the process exit by itself, without waiting for a debugger", async () => {
    const run = await runFixture(["idle", "100"]);
    assert.equal(run.code, 0);
    // Nothing to blame: a loaded machine may still add stalls of its own.
    assert.deepEqual(applicationBlocks(run.events), []);
    assert.doesNotMatch(run.stderr, /Waiting for the debugger/);
  });

  it("never keeps the process alive, even when nobody stops it", async () => {
    const run = await runFixture(["forget", "100"]);
    assert.equal(run.code, 0);
    assert.equal(run.capturesStacks, true);
    assert.doesNotMatch(run.stderr, /Waiting for the debugger/);
  });

  it("disconnects its inspector session when the process calls process.exit()", async () => {
    const run = await runFixture(["exit", "60"]);
    assert.equal(run.code, 0);
    // The block is reported (with its stack, unless a loaded machine delayed the capture
    // past its end), and the session was up: nothing made the watchdog fall back.
    assert.ok(run.events.length >= 1, run.stderr);
    assert.ok(applicationBlocks(run.events).length <= 1, JSON.stringify(run.events));
    assert.equal(run.capturesStacks, true);
    assert.doesNotMatch(run.stderr, /Waiting for the debugger/);
  });

  it("falls back to durations only, with one warning, when the inspector is taken", async () => {
    const run = await runFixture(["busy", "100"], ["--inspect=127.0.0.1:0"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.capturesStacks, false);
    // Every report without a stack, saying why; the 300 ms block among them (a loaded
    // machine may add stalls of its own, which cannot be told apart without stacks).
    assert.ok(run.events.length >= 1, run.stderr);
    for (const event of run.events) {
      assert.deepEqual(event.stack, []);
      assert.match(event.note ?? "", /inspector is open/);
    }
    // The fixture's 300 ms loop is timed by Date.now(), the report by the heartbeat's own
    // clock: it can read a fraction of a millisecond under 300.
    assert.ok(
      run.events.some((event) => event.durationMs >= 295),
      JSON.stringify(run.events),
    );
    assert.equal(run.stderr.match(/LOOPSCOPE_WARN_NO_STACKS/g)?.length, 1, run.stderr);
  });
});
