/** Reading the main thread's state from /proc (the watchdog thread's idle mode). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  LoopWait,
  ThreadProbe,
  cpuReading,
  parseSchedstat,
  parseSyscall,
} from "../../src/watchdog/proc-state.js";
import { idlePollMs } from "../../src/watchdog/worker.js";

const EPOLL_PWAIT = 281;

describe("/proc parsing", () => {
  it("reads schedstat's CPU time, run-queue wait and time slices", () => {
    const reading = cpuReading();
    const text = Buffer.from("110780445 189339357 167\n");
    assert.equal(parseSchedstat(text, text.length, reading), true);
    assert.deepEqual(reading, { cpuNs: 110780445, waitNs: 189339357, slices: 167 });
    const bad = Buffer.from("not a schedstat\n");
    assert.equal(parseSchedstat(bad, bad.length, cpuReading()), false);
  });

  it("reads syscall's call and first two arguments, or that the thread runs", () => {
    assert.deepEqual(
      parseSyscall("281 0xe 0x7ffcee8975f0 0x400 0xffffffff 0x0 0x8 0x7ffc 0x7f\n"),
      {
        kind: "syscall",
        nr: 281,
        fd: 14,
        buffer: 0x7ffcee8975f0,
      },
    );
    assert.deepEqual(parseSyscall("running\n"), { kind: "running" });
    assert.deepEqual(parseSyscall("-1 0x7ffc 0x7f\n"), { kind: "other" });
  });
});

describe("the main loop's wait", () => {
  const wait = (fd: number, buffer: number, nr = EPOLL_PWAIT) =>
    ({ kind: "syscall", nr, fd, buffer }) as const;

  it("is the epoll wait seen twice, and nothing else", () => {
    const loopWait = new LoopWait([232, 281, 441]);
    assert.equal(loopWait.known, false);
    assert.equal(loopWait.isLoopWait(wait(14, 0x7ffc_0000_1000)), true);
    assert.equal(loopWait.known, false);
    assert.equal(loopWait.isLoopWait(wait(14, 0x7ffc_0000_1000)), true);
    assert.equal(loopWait.known, true);
    assert.equal(loopWait.isLoopWait({ kind: "running" }), false);
    // A futex (Atomics.wait), a wait4: not the loop.
    assert.equal(loopWait.isLoopWait(wait(14, 0x7ffc_0000_1000, 202)), false);
  });

  it("is the outermost one: a loop run inside a callback (execSync's) is deeper", () => {
    const loopWait = new LoopWait([281]);
    // First seen in execSync's own loop (deeper: a lower address), then in the main one.
    assert.equal(loopWait.isLoopWait(wait(23, 0x7ffc_0000_0100)), true);
    assert.equal(loopWait.isLoopWait(wait(14, 0x7ffc_0000_1000)), true);
    assert.equal(loopWait.isLoopWait(wait(14, 0x7ffc_0000_1000)), true);
    assert.equal(loopWait.known, true);
    // execSync again, even on a reused fd number: not the loop's wait.
    assert.equal(loopWait.isLoopWait(wait(23, 0x7ffc_0000_0100)), false);
    assert.equal(loopWait.isLoopWait(wait(14, 0x7ffc_0000_0100)), false);
  });
});

describe("the probe", () => {
  it("reads a thread of this process where /proc has them, and says when it cannot", () => {
    const probe = ThreadProbe.open(process.pid);
    if (process.platform !== "linux" || !["x64", "arm64"].includes(process.arch)) {
      assert.equal(probe, undefined);
      return;
    }
    assert.ok(probe !== undefined);
    try {
      const reading = cpuReading();
      assert.equal(probe.readCpu(reading), true);
      assert.ok(reading.cpuNs > 0 && reading.slices > 0, JSON.stringify(reading));
      // This very thread, reading: in its read call.
      assert.equal(probe.readSyscall().kind, "syscall");
    } finally {
      probe.close();
    }
    assert.equal(ThreadProbe.open(process.pid, "mips"), undefined);
    assert.equal(ThreadProbe.open(2 ** 30), undefined);
  });
});

describe("the idle poll interval", () => {
  it("sees a block before it is a threshold old, with a margin, at most every 100 ms", () => {
    for (const slowMs of [1, 5, 20, 50, 100, 200, 1000]) {
      const poll = idlePollMs(slowMs);
      assert.ok(poll >= 1 && poll <= 100, `${slowMs}: ${poll}`);
      if (slowMs > 2) assert.ok(poll < slowMs, `${slowMs}: ${poll}`);
    }
    assert.equal(idlePollMs(1000), 100);
  });
});
