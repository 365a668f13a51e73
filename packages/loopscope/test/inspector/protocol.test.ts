/**
 * The inspector's protocol against a real process: the fixture app under the preload with
 * LOOPSCOPE_INSPECT=0, asked over HTTP and the live channel from this process.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import type {
  CancelAnswer,
  FinishedTasksAnswer,
  InspectorStatus,
  LiveMessage,
  LoopSamplesAnswer,
  RecentEventsAnswer,
  TaskDetailAnswer,
  TaskQueryAnswer,
} from "../../src/protocol/index.js";
import { PROTOCOL_VERSION } from "../../src/protocol/index.js";
import { assertBuilt } from "../fixtures/child-process.js";
import type { InspectedApp } from "../fixtures/inspected-app.js";
import { startInspectedApp } from "../fixtures/inspected-app.js";

/** Ask until `check` accepts the answer: the process gets there on its own time. */
async function eventually<T>(ask: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const value = await ask();
    if (check(value)) return value;
    await sleep(delay);
  }
}

/** Messages of one live connection, as they come. */
function openLive(inspected: InspectedApp): {
  socket: WebSocket;
  messages: LiveMessage[];
  next(type: string): Promise<LiveMessage>;
} {
  const socket = new WebSocket(new URL("api/live", inspected.url.replace("http:", "ws:")), {
    headers: { Authorization: `Bearer ${inspected.token}` },
  });
  const messages: LiveMessage[] = [];
  const waiting: { type: string; resolve: (message: LiveMessage) => void }[] = [];
  socket.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString("utf8")) as LiveMessage;
    messages.push(message);
    for (const waiter of [...waiting]) {
      if (waiter.type === message.type) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  return {
    socket,
    messages,
    next: (type) => new Promise((resolve) => waiting.push({ type, resolve })),
  };
}

describe("inspector protocol (a real process)", () => {
  let inspected: InspectedApp;
  before(async () => {
    assertBuilt();
    inspected = await startInspectedApp({ LOOPSCOPE_INSPECT_CONTROL: "1" });
  });
  after(async () => {
    await inspected?.stop();
  });

  it("describes the process, with the protocol version", async () => {
    const { status, body } = await inspected.request("api/status");
    assert.equal(status, 200);
    const facts = body as InspectorStatus;
    assert.equal(facts.protocol, PROTOCOL_VERSION);
    assert.equal(facts.type, "status");
    assert.equal(facts.pid, inspected.pid);
    assert.match(facts.node, /^v\d+\./);
    assert.match(facts.command, /inspector\/app\.js/);
    assert.equal(facts.mode, "production");
    assert.equal(facts.control, true);
    assert.ok(facts.memory.rss > 0);
    assert.equal(facts.blocked, undefined);
  });

  it("filters tasks by name, as a substring or a regular expression, by age and by site", async () => {
    await inspected.command("spawn 5 save herd");
    const all = (await inspected.request("api/tasks?limit=1000")).body as TaskQueryAnswer;
    assert.equal(all.protocol, PROTOCOL_VERSION);
    assert.equal(all.type, "tasks");
    assert.equal(all.stale, false);
    assert.ok(all.total >= 8, `at least 8 tasks, got ${all.total}`);

    const herd = (await inspected.request("api/tasks?name=save%20herd")).body as TaskQueryAnswer;
    assert.equal(herd.matched, 5);
    assert.deepEqual(herd.query, { name: "save herd" });
    assert.ok(herd.tasks.every((task) => task.name.startsWith("save herd ")));

    const regex = (
      await inspected.request(
        `api/tasks?regex=1&name=${encodeURIComponent("^handle cattle [02]$")}`,
      )
    ).body as TaskQueryAnswer;
    assert.deepEqual(regex.tasks.map((task) => task.name).sort(), [
      "handle cattle 0",
      "handle cattle 2",
    ]);

    const old = (await inspected.request("api/tasks?minAgeMs=3600000")).body as TaskQueryAnswer;
    assert.equal(old.matched, 0);

    const limited = (await inspected.request("api/tasks?name=save&limit=2"))
      .body as TaskQueryAnswer;
    assert.equal(limited.matched, 5);
    assert.equal(limited.tasks.length, 2);

    const byName = (await inspected.request("api/tasks?sort=name&name=save"))
      .body as TaskQueryAnswer;
    const names = byName.tasks.map((task) => task.name);
    assert.deepEqual(names, [...names].sort());
  });

  it("groups tasks by creation site and by identical subtrees, with counts", async () => {
    const bySite = (await inspected.request("api/tasks?group=site")).body as TaskQueryAnswer;
    assert.ok(bySite.groups !== undefined && bySite.groups.length > 0);
    const site = bySite.groups.find(
      (group) => group.count >= 5 && group.label.includes("spawnWaiting"),
    );
    assert.ok(
      site !== undefined,
      `a group of spawnWaiting's site: ${JSON.stringify(bySite.groups.map((g) => g.label))}`,
    );
    assert.match(site.key, /inspector\/app\.js:\d+$/);
    const filtered = (
      await inspected.request(`api/tasks?site=${encodeURIComponent(site.key)}&limit=1000`)
    ).body as TaskQueryAnswer;
    assert.equal(filtered.matched, site.count);

    const bySubtree = (await inspected.request("api/tasks?group=subtree")).body as TaskQueryAnswer;
    const total = bySubtree.groups!.reduce((sum, group) => sum + group.count, 0);
    assert.equal(total, bySubtree.matched);
  });

  it("gives a task's detail, and 404 for a task that is not pending", async () => {
    const list = (await inspected.request("api/tasks?name=handle%20cattle%201"))
      .body as TaskQueryAnswer;
    const id = list.tasks[0]!.id;
    const detail = await inspected.request(`api/tasks/${id}`);
    assert.equal(detail.status, 200);
    const body = detail.body as TaskDetailAnswer;
    assert.equal(body.protocol, PROTOCOL_VERSION);
    assert.equal(body.task.id, id);
    assert.equal(body.task.name, "handle cattle 1");
    assert.equal(body.childCount, 0);
    const missing = await inspected.request("api/tasks/999999");
    assert.equal(missing.status, 404);
    assert.equal(
      (missing.body as { error: { code: string } }).error.code,
      "LOOPSCOPE_ERR_INSPECT_NO_TASK",
    );
  });

  it("keeps finished tasks with how each ended: done, failed with the error, cancelled with the reason", async () => {
    await inspected.command("finish 6");
    const history = await eventually(
      async () => (await inspected.request("api/finished?limit=100")).body as FinishedTasksAnswer,
      (answer) => answer.tasks.filter((task) => task.name.startsWith("finishing ")).length >= 6,
    );
    assert.equal(history.protocol, PROTOCOL_VERSION);
    const finishing = history.tasks.filter((task) => task.name.startsWith("finishing "));
    const failed = finishing.find((task) => task.name === "finishing 1")!;
    assert.equal(failed.outcome, "failed");
    assert.equal(failed.error?.message, "failure 1");
    const cancelled = finishing.find((task) => task.name === "finishing 2")!;
    assert.equal(cancelled.outcome, "cancelled");
    assert.equal(cancelled.reason, "stopped by the fixture");
    assert.equal(finishing.find((task) => task.name === "finishing 0")!.outcome, "done");
    // Most recent first.
    assert.ok(history.tasks[0]!.endedAt >= history.tasks.at(-1)!.endedAt);
  });

  it("cancels a task when control is enabled", async () => {
    await inspected.command("spawn 1 doomed");
    const list = (await inspected.request("api/tasks?name=doomed")).body as TaskQueryAnswer;
    const id = list.tasks[0]!.id;
    const cancel = await inspected.request(`api/tasks/${id}/cancel`, { method: "POST" });
    assert.equal(cancel.status, 200);
    const body = cancel.body as CancelAnswer;
    assert.deepEqual(
      [body.protocol, body.type, body.id, body.cancelled],
      [PROTOCOL_VERSION, "cancel", id, true],
    );
    const history = await eventually(
      async () => (await inspected.request("api/finished")).body as FinishedTasksAnswer,
      (answer) => answer.tasks.some((task) => task.id === id),
    );
    assert.equal(history.tasks.find((task) => task.id === id)!.outcome, "cancelled");
  });

  it("lists recent events and loop samples", async () => {
    await inspected.command("block 300");
    const events = await eventually(
      async () => (await inspected.request("api/events")).body as RecentEventsAnswer,
      (answer) =>
        answer.events.some((event) => event.type === "loop-blocked" && event.durationMs >= 250),
    );
    assert.equal(events.protocol, PROTOCOL_VERSION);
    const samples = await eventually(
      async () => (await inspected.request("api/loop")).body as LoopSamplesAnswer,
      (answer) => answer.samples.length >= 2,
    );
    const sample = samples.samples[0]!;
    assert.ok(sample.utilization >= 0 && sample.utilization <= 1);
    assert.ok(sample.tasksPending >= 3);
  });

  it("pushes status, loop samples and the subscribed task query on the live channel", async () => {
    const live = openLive(inspected);
    try {
      const hello = await live.next("hello");
      assert.equal(hello.protocol, PROTOCOL_VERSION);
      live.socket.send(
        JSON.stringify({ type: "subscribe", tasks: { name: "save herd", limit: 3 } }),
      );
      const tasks = (await live.next("tasks")) as TaskQueryAnswer;
      assert.equal(tasks.protocol, PROTOCOL_VERSION);
      assert.equal(tasks.matched, 5);
      assert.equal(tasks.tasks.length, 3);
      const sample = await live.next("loop-sample");
      assert.equal(sample.protocol, PROTOCOL_VERSION);
      // Pushed again without asking.
      const again = (await live.next("tasks")) as TaskQueryAnswer;
      assert.ok(again.computedAt > tasks.computedAt);
      assert.ok(live.messages.every((message) => message.protocol === PROTOCOL_VERSION));
    } finally {
      live.socket.close();
    }
  });

  it("closes a live connection that sends something else than a subscription (1008)", async () => {
    const live = openLive(inspected);
    await live.next("hello");
    const closed = new Promise<number>((resolve) =>
      live.socket.once("close", (code) => resolve(code)),
    );
    live.socket.send("{not json");
    assert.equal(await closed, 1008);
    assert.ok(live.messages.some((message) => message.type === "error"));
  });

  it("answers while the main loop is blocked: blocked since when, with the blocking stack, and the last answer marked stale", async () => {
    const before = (await inspected.request("api/tasks?name=handle")).body as TaskQueryAnswer;
    assert.equal(before.stale, false);
    await inspected.command("block 2000");
    const status = await eventually(
      async () => (await inspected.request("api/status")).body as InspectorStatus,
      (answer) => answer.blocked !== undefined && answer.blocked.stack.length > 0,
    );
    assert.ok(status.blocked!.forMs >= 100);
    assert.equal(status.blocked!.stack.find((frame) => frame.internal !== true)?.fn, "holdTheLoop");
    const stale = (await inspected.request("api/tasks?name=handle")).body as TaskQueryAnswer;
    assert.equal(stale.stale, true);
    assert.equal(stale.computedAt, before.computedAt);
    assert.ok(stale.blocked !== undefined);
    // Once the loop turns again, answers are fresh.
    const fresh = await eventually(
      async () => (await inspected.request("api/tasks?name=handle")).body as TaskQueryAnswer,
      (answer) => !answer.stale,
    );
    assert.ok(fresh.computedAt > before.computedAt);
  });
});
