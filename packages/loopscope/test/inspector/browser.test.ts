/**
 * The inspector's dashboard in a real browser (headless Chromium, scripts/browser.mjs)
 * against the fixture app under the preload with LOOPSCOPE_INSPECT=0 and control on: what
 * a user sees and does, and how the page holds up with 10,000 pending tasks.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import type { LaunchedBrowser } from "../../../../scripts/browser.mjs";
import {
  browserTestsSkipped,
  launchBrowser,
  until,
  watchPageProblems,
} from "../../../../scripts/browser.mjs";
import { assertBuilt } from "../fixtures/child-process.js";
import type { InspectedApp } from "../fixtures/inspected-app.js";
import { startInspectedApp } from "../fixtures/inspected-app.js";

/** Longest main-thread task the page may take while it shows live updates. */
const LONG_TASK_LIMIT_MS = 100;

/** A main-thread task over 50 ms, as Chromium's Long Tasks API reports it. */
interface LongTask {
  readonly start: number;
  readonly duration: number;
}

/** Records the page's long tasks in `window.__longTasks`, from its first script on. */
const LONG_TASK_OBSERVER = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }
  }).observe({ type: "longtask", buffered: true });
`;

/** The page's long tasks that started at `since` (its performance.now()) or later. */
async function longTasksSince(page: Page, since: number): Promise<LongTask[]> {
  return page.evaluate<LongTask[]>(`window.__longTasks.filter((task) => task.start >= ${since})`);
}

/**
 * The function names of the detail's frame lists, innermost first: where the task awaits
 * (after the line saying what it awaits) and where it was created.
 */
async function detailFrames(page: Page): Promise<{ awaiting: string[]; created: string[] }> {
  const detail = page.getByTestId("task-detail");
  return {
    awaiting: await detail
      .locator('h3:text-is("awaiting") + p + .frames .frame-fn')
      .allTextContents(),
    created: await detail.locator('h3:text-is("created at") + .frames .frame-fn').allTextContents(),
  };
}

/** The names in a table's rows, in order (each name cell has the whole name as its title). */
/** The part of a row element that rowNames reads (the tests have no DOM types). */
interface NameCells {
  querySelector(selector: string): { readonly title: string } | null;
}

function rowNames(page: Page): Promise<string[]> {
  return page
    .getByTestId("task-row")
    .evaluateAll((rows: readonly NameCells[]) =>
      rows.map((row) => row.querySelector('[role="cell"]:nth-child(2)')?.title ?? ""),
    );
}

/** Recorder lines (`−0.42 s task-start …`) are oldest first: their times never go back. */
function assertTimeOrdered(lines: readonly string[]): void {
  const times = lines.map((line) =>
    Number(/^([−+])(\d+\.\d\d) s /.exec(line)?.slice(1).join("").replace("−", "-")),
  );
  assert.ok(
    times.every((time) => Number.isFinite(time)),
    JSON.stringify(lines),
  );
  assert.ok(
    times.every((time, i) => i === 0 || time >= times[i - 1]!),
    JSON.stringify(lines),
  );
}

describe("inspector dashboard (Chromium)", { skip: browserTestsSkipped(), timeout: 90_000 }, () => {
  let inspected: InspectedApp;
  let browser: LaunchedBrowser;
  let page: Page;
  let problems: string[];
  /** Task ids whose detail may answer 404 once (they were cancelled while open). */
  const endedWhileOpen = new Set<string>();

  /**
   * What went wrong on the page: every console error, uncaught exception and CSP
   * violation, but for the browser's own line about a 404 for the detail of a task that
   * ended while shown (the page asks, learns it ended, and shows its outcome).
   */
  function unexpectedProblems(): string[] {
    return problems.filter((problem) => {
      const ended = /status of 404 .*\(http:\/\/[^/]+\/api\/tasks\/(\d+)\)$/.exec(problem);
      return !(ended && endedWhileOpen.has(ended[1]!));
    });
  }

  before(async () => {
    assertBuilt();
    inspected = await startInspectedApp({ LOOPSCOPE_INSPECT_CONTROL: "1" });
    browser = await launchBrowser();
    problems = await watchPageProblems(browser.context);
    await browser.context.addInitScript({ content: LONG_TASK_OBSERVER });
    // Waits end well before the test's own timeout, so a failure says what it waited for.
    browser.context.setDefaultTimeout(10_000);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });
  after(async () => {
    await browser?.close();
    await inspected?.stop();
  });

  it("loads from the ?token= URL, lands on / without it, and goes live without errors", async () => {
    const response = await page.goto(`${inspected.url}?token=${inspected.token}`);
    assert.ok(response !== null);
    assert.equal(response.status(), 200);
    // The server answered the token with a redirect (setting the cookie), not the page itself.
    assert.ok(response.request().redirectedFrom() !== null, "the ?token= request redirected");
    assert.equal(page.url(), inspected.url);
    await page.getByTestId("connection").and(page.locator('[data-state="open"]')).waitFor();
    assert.match((await page.getByTestId("connection").textContent()) ?? "", /live/);
    const cookies = await browser.context.cookies(inspected.url);
    assert.ok(
      cookies.some((cookie) => cookie.httpOnly && cookie.sameSite === "Strict"),
      JSON.stringify(cookies),
    );
    assert.deepEqual(unexpectedProblems(), []);
  });

  it("shows the app's pending tasks", async () => {
    await page.getByTestId("task-row").first().waitFor();
    const names = await rowNames(page);
    for (const name of ["handle cattle 0", "handle cattle 1", "handle cattle 2"]) {
      assert.ok(names.includes(name), `${name} in ${JSON.stringify(names)}`);
    }
    assert.match((await page.getByTestId("task-count").textContent()) ?? "", /^matched \d+ of \d+/);
  });

  it("narrows the rows and the count as a filter is typed", async () => {
    await inspected.command("spawn 5 save herd");
    await page.getByTestId("task-filter").fill("save herd");
    await page
      .getByTestId("task-count")
      .getByText(/^matched 5 of \d+$/)
      .waitFor();
    await until(async () => (await page.getByTestId("task-row").count()) === 5, "5 rows");
    const names = await rowNames(page);
    assert.deepEqual(
      names.map((name) => name.replace(/ \d+$/, "")).sort(),
      Array(5).fill("save herd"),
    );

    // As a regular expression.
    await page.getByTestId("task-filter-regex").check();
    await page.getByTestId("task-filter").fill("^handle cattle [02]$");
    await page
      .getByTestId("task-count")
      .getByText(/^matched 2 of \d+$/)
      .waitFor();
    assert.deepEqual((await rowNames(page)).sort(), ["handle cattle 0", "handle cattle 2"]);

    await page.getByTestId("task-filter-regex").uncheck();
    await page.getByTestId("task-filter").fill("");
    await until(async () => (await page.getByTestId("task-row").count()) >= 8, "every row back");
  });

  it("groups tasks by creation site, with counts", async () => {
    await page.getByTestId("group-select").selectOption("site");
    const groups = page.getByTestId("group-row");
    await groups.first().waitFor();
    const rows = await groups.evaluateAll(
      (
        elements: readonly {
          getAttribute(name: string): string | null;
          querySelectorAll(selector: string): ArrayLike<{ readonly textContent: string | null }>;
        }[],
      ) =>
        elements.map((row) => ({
          key: row.getAttribute("data-group-key") ?? "",
          count: Number(row.querySelectorAll('[role="cell"]')[1]?.textContent?.replace(/,/g, "")),
        })),
    );
    const spawned = rows.find((row) => /inspector\/app\.js:\d+$/.test(row.key));
    assert.ok(spawned !== undefined, JSON.stringify(rows));
    assert.ok(
      spawned.count >= 8,
      `the fixture's spawnWaiting site holds its tasks: ${spawned.count}`,
    );
    await page.getByTestId("group-select").selectOption("");
    await groups.first().waitFor({ state: "detached" });
  });

  it("opens a task's detail with where it was created", async () => {
    const row = page.getByTestId("task-row").filter({ hasText: "handle cattle 1" });
    const id = await row.getAttribute("data-task-id");
    await row.click();
    const detail = page.getByTestId("task-detail");
    await detail.getByRole("heading", { name: `#${id} handle cattle 1` }).waitFor();
    const sections = await detailFrames(page);
    assert.ok(
      sections.created.includes("spawnWaiting"),
      `created in spawnWaiting: ${JSON.stringify(sections)}`,
    );
  });

  it("cancels the selected task: its row goes, and the finished tab says cancelled", async () => {
    const row = page.getByTestId("task-row").filter({ hasText: "handle cattle 1" });
    const id = await row.getAttribute("data-task-id");
    assert.ok(id !== null);
    endedWhileOpen.add(id);
    await page.getByTestId("cancel-button").click();
    await page.locator(`[data-testid="task-row"][data-task-id="${id}"]`).waitFor({
      state: "detached",
    });
    await page.getByTestId("tab-finished").click();
    const finished = page.locator(`[data-testid="finished-row"][data-task-id="${id}"]`);
    await finished.waitFor();
    assert.match((await finished.textContent()) ?? "", /handle cattle 1.*cancelled/);
    await page.getByTestId("tab-tasks").click();
    await page.getByTestId("task-row").first().waitFor();
  });

  it("draws the loop chart on a canvas, and its data moves", async () => {
    const chart = page.getByTestId("loop-chart");
    // uPlot draws on a canvas, made once the page was first idle.
    await chart.locator("canvas").first().waitFor();
    const points = async () => Number(await chart.getAttribute("data-points"));
    const first = await points();
    await until(async () => (await points()) > first, "a new loop sample in the chart", 5000);
    assert.ok((await points()) > first);
  });

  it("names a block's cause in the event log; opened, it shows the figures, the stack and what the recorder saw before it", async () => {
    // Tasks that start and end just before the block: the flight recorder keeps them.
    await inspected.command("finish 3");
    await sleep(50);
    await inspected.command("block 700");
    const entry = page
      .locator('[data-testid="event"][data-event-type="loop-blocked"]')
      .filter({ hasText: "holdTheLoop" })
      .first();
    await entry.waitFor({ timeout: 10_000 });
    // The fixture's block is a busy loop: JavaScript, blamed on its line.
    assert.equal(await entry.getAttribute("data-cause"), "javascript");
    assert.match(
      (await entry.locator(".event-text").textContent()) ?? "",
      /^blocked \d[\d.]* m?s · JavaScript · at holdTheLoop \(inspector\/app\.js:\d+\)$/,
    );

    await entry.locator(".event-summary").click();
    const detail = entry.getByTestId("block-detail");
    await detail.waitFor();
    assert.equal(await detail.getAttribute("data-cause"), "javascript");
    assert.equal(await detail.getByTestId("block-cause").textContent(), "JavaScript");
    const facts = await detail.locator(".detail-facts dt").allTextContents();
    assert.ok(facts.includes("blocked") && facts.includes("ended"), JSON.stringify(facts));
    assert.ok(facts.includes("captures"), `the watchdog's captures: ${JSON.stringify(facts)}`);
    const frames = await detail.locator(".frame-fn").allTextContents();
    assert.ok(frames.includes("holdTheLoop"), JSON.stringify(frames));

    // The recorder's window lists the tasks the fixture ran
    // before the block, oldest first, at their time before its end.
    const { body } = await inspected.request("/api/events");
    const reported = (
      body as { events: { type: string; recorder?: unknown; stack: { fn: string }[] }[] }
    ).events
      .filter(
        (event) =>
          event.type === "loop-blocked" && event.stack.some((frame) => frame.fn === "holdTheLoop"),
      )
      .at(-1);
    assert.ok(reported !== undefined, JSON.stringify(body));
    // The recorder is on by default: every block report carries its window.
    assert.ok(reported.recorder !== undefined, JSON.stringify(reported));
    const lines = await detail.getByTestId("recorder-entry").allTextContents();
    assert.ok(
      lines.some((line) => /^[−+]\d+\.\d\d s task-start #\d+ finishing 0$/.test(line)),
      JSON.stringify(lines),
    );
    assert.ok(
      lines.some((line) => /task-end #\d+ finishing 1 · failed/.test(line)),
      JSON.stringify(lines),
    );
    assertTimeOrdered(lines);
    assert.match(
      (await detail.getByTestId("recorder-losses").textContent()) ?? "",
      /omitted.*dropped/,
    );
  });

  it("shows the flight recorder's last seconds on demand, in time order, and asks again on Refresh", async () => {
    await inspected.command("finish 3");
    await page.getByTestId("tab-recorder").click();
    const panel = page.getByTestId("recorder-panel");
    const entries = panel.getByTestId("recorder-entry");
    await entries.filter({ hasText: "finishing 2" }).first().waitFor();
    let lines = await entries.allTextContents();
    assert.ok(
      lines.some((line) =>
        /^[−+]\d+\.\d\d s task-cancel #\d+ finishing 2 · stopped by the fixture$/.test(line),
      ),
      JSON.stringify(lines),
    );
    // The block of the test before, with its cause.
    assert.ok(
      lines.some((line) => /loop-blocked javascript · \d+ ms$/.test(line)),
      JSON.stringify(lines),
    );
    assertTimeOrdered(lines);
    assert.match(
      (await panel.getByTestId("recorder-losses").textContent()) ?? "",
      /omitted.*dropped/,
    );

    // Asked for, not pushed: a task started now shows once Refresh asks again.
    await inspected.command("spawn 1 recorded later");
    await sleep(100);
    assert.equal(await entries.filter({ hasText: "recorded later 0" }).count(), 0);
    await panel.getByTestId("recorder-refresh").click();
    await entries.filter({ hasText: "recorded later 0" }).first().waitFor();
    lines = await entries.allTextContents();
    assert.match(lines.at(-1) ?? "", /task-start #\d+ recorded later 0$/);
    await page.getByTestId("tab-tasks").click();
    await page.getByTestId("task-row").first().waitFor();
    assert.deepEqual(unexpectedProblems(), []);
  });

  it("shows the blocked banner, with the blocking function, while the loop is held", async () => {
    await inspected.command("block 2000");
    const banner = page.getByTestId("blocked-banner");
    await banner.getByText("holdTheLoop").first().waitFor({ timeout: 5000 });
    assert.match((await banner.textContent()) ?? "", /Event loop blocked for/);
    await banner.waitFor({ state: "detached", timeout: 10_000 });
  });

  it("records a CPU profile and downloads it", async () => {
    await page.getByTestId("profile-seconds").fill("1");
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15_000 }),
      page.getByTestId("profile-button").click(),
    ]);
    assert.match(download.suggestedFilename(), /\.cpuprofile$/);
    const path = await download.path();
    const profile = JSON.parse(await readFile(path, "utf8")) as {
      nodes?: unknown;
      samples?: unknown;
    };
    assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
    assert.ok(Array.isArray(profile.samples));
  });

  it("keeps up with 10,000 pending tasks: a table update each second, no long task", async (t) => {
    // The observer works here: a busy timer callback of the page's own is a long task.
    const busySince = await page.evaluate(() => {
      const since = performance.now();
      setTimeout(() => {
        const end = performance.now() + 150;
        while (performance.now() < end);
      }, 0);
      return since;
    });
    await until(
      async () => (await longTasksSince(page, busySince)).length > 0,
      "the page's own busy loop as a long task",
    );

    await inspected.command("spawn 10000 bulk");
    const count = page.getByTestId("task-count");
    await count.getByText(/^matched 10[,.  ]?0\d\d of /).waitFor({ timeout: 15_000 });
    // The first full render with data is done: measure the live updates from here.
    const windowStart = await page.evaluate(() => performance.now());
    const updates = new Set<string>();
    const texts = new Set<string>();
    const stamps: number[] = [];
    const started = Date.now();
    let previous: string | null = null;
    let longestGapMs = 0;
    let lastChange = started;
    while (Date.now() - started < 5000) {
      const [stamp, text] = await Promise.all([
        page.getByTestId("task-table").getAttribute("data-updated-at"),
        count.textContent(),
      ]);
      if (stamp !== previous) {
        const now = Date.now();
        if (previous !== null) longestGapMs = Math.max(longestGapMs, now - lastChange);
        lastChange = now;
        previous = stamp;
        stamps.push(Number(stamp));
      }
      if (stamp !== null) updates.add(stamp);
      if (text !== null) texts.add(text);
      await sleep(50);
    }
    longestGapMs = Math.max(longestGapMs, Date.now() - lastChange);
    const longTasks = await longTasksSince(page, windowStart);
    const longest = Math.max(0, ...longTasks.map((task) => task.duration));
    t.diagnostic(
      `10,000 tasks, 5 s of live updates: ${updates.size} table updates, longest gap ${longestGapMs} ms, ` +
        `${longTasks.length} long tasks, longest ${Math.round(longest)} ms`,
    );
    // Pushed about once a second: at least 4 in 5 s, and never more than ~1 s between two
    // (with room for the polling and the push's own jitter).
    assert.ok(updates.size >= 4, `table updates in 5 s: ${updates.size}`);
    assert.ok(longestGapMs <= 1500, `longest time without an update: ${longestGapMs} ms`);
    assert.ok(
      longest <= LONG_TASK_LIMIT_MS,
      `longest main-thread task ${Math.round(longest)} ms: ${JSON.stringify(longTasks)}`,
    );
    assert.deepEqual(unexpectedProblems(), []);
  });

  it("shows where a task awaits (debug mode), in a second inspector the first page stays signed in to", async () => {
    // Another process, in debug mode, in the same browser. Cookies do not tell ports apart:
    // both inspectors on 127.0.0.1 share the browser's cookie jar.
    const other = await startInspectedApp({ LOOPSCOPE_DEBUG: "1" });
    try {
      const second = await browser.context.newPage();
      await second.goto(`${other.url}?token=${other.token}`);
      await second.getByTestId("connection").and(second.locator('[data-state="open"]')).waitFor();
      const row = second.getByTestId("task-row").filter({ hasText: "handle cattle 2" });
      await row.click();
      await second
        .getByTestId("task-detail")
        .getByRole("heading", { name: /handle cattle 2/ })
        .waitFor();
      await second.getByTestId("task-detail").locator(".frame-fn").first().waitFor();
      const sections = await detailFrames(second);
      assert.ok(
        sections.awaiting.includes("waitForever"),
        `awaits in waitForever: ${JSON.stringify(sections)}`,
      );
      assert.ok(sections.created.includes("spawnWaiting"), JSON.stringify(sections));
      await second.close();
      // The first page still reads its own process over HTTP, with its own cookie.
      const status = await page.evaluate(async () => (await fetch("/api/status")).status);
      assert.equal(status, 200);
      await page.getByTestId("tab-finished").click();
      await page.getByTestId("finished-row").first().waitFor();
      await page.getByTestId("tab-tasks").click();
    } finally {
      await other.stop();
    }
    assert.deepEqual(unexpectedProblems(), []);
  });
});
