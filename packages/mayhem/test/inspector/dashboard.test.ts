/**
 * loopscope's dashboard on the built Mayhem service (`mayhem run`, the embedded broker, the
 * inspector at 127.0.0.1:0 by default), in headless Chromium (scripts/browser.mjs): its
 * `handle <instance>` tasks show in the table, the filter narrows them, the loop chart
 * moves, and the service still shuts down cleanly on SIGTERM. With LOOPSCOPE_SCREENSHOT_DIR
 * set, a full-page screenshot goes there as dashboard.png (scripts/dashboard-screenshot.mjs
 * makes docs/images/dashboard.png from it).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import type { LaunchedBrowser } from "../../../../scripts/browser.mjs";
import {
  browserTestsSkipped,
  launchBrowser,
  until,
  watchPageProblems,
} from "../../../../scripts/browser.mjs";
import type { InspectedMayhem } from "../helpers/inspected-mayhem.js";
import { startInspectedMayhem } from "../helpers/inspected-mayhem.js";

/** The names in the task table's rows, in order (each name cell has the name as its title). */
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

describe(
  "Mayhem's live dashboard (Chromium)",
  { skip: browserTestsSkipped(), timeout: 60_000 },
  () => {
    let mayhem: InspectedMayhem;
    let url: string;
    let browser: LaunchedBrowser;
    let page: Page;
    let problems: string[];

    before(async () => {
      mayhem = await startInspectedMayhem();
      url = mayhem.url;
      browser = await launchBrowser();
      browser.context.setDefaultTimeout(10_000);
      problems = await watchPageProblems(browser.context);
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
    });
    after(async () => {
      await browser?.close();
      const child = mayhem?.child;
      if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });

    it("shows Mayhem's handle tasks live, and the filter narrows them", async () => {
      await page.goto(url);
      assert.equal(new URL(page.url()).search, "", "the token left the address");
      await page.getByTestId("connection").and(page.locator('[data-state="open"]')).waitFor();
      // Each message is handled in a task named after the instance to restart.
      await page.getByTestId("task-row").filter({ hasText: "handle cattle-" }).first().waitFor();
      const names = await rowNames(page);
      const handles = names.filter((name) => /^handle cattle-[0-9a-z]+$/.test(name));
      assert.ok(handles.length > 0, JSON.stringify(names));

      // Each handle task has its extend and cleanup children (`extend cattle-…`): the filter
      // keeps the handle tasks only.
      assert.ok(
        names.some((name) => /^(extend|cleanup) cattle-/.test(name)),
        JSON.stringify(names),
      );
      const instance = handles[0]!.slice("handle ".length);
      await page.getByTestId("task-filter").fill("handle ");
      await until(
        async () => (await rowNames(page)).every((name) => name.startsWith("handle ")),
        "only handle tasks in the table",
      );
      const filtered = await rowNames(page);
      assert.ok(filtered.length > 0);
      assert.ok(
        filtered.every((name) => name.startsWith("handle ")),
        `only handle tasks: ${JSON.stringify(filtered)}`,
      );
      const [, matched, total] = /^matched (\d+) of (\d+)/.exec(
        (await page.getByTestId("task-count").textContent()) ?? "",
      )!;
      assert.ok(Number(matched) < Number(total), `matched ${matched} of ${total}`);
      await page.getByTestId("task-filter").fill(`no such task ${instance}`);
      await page
        .getByTestId("task-count")
        .getByText(/^matched 0 of \d+$/)
        .waitFor();
      assert.equal(await page.getByTestId("task-row").count(), 0);
      await page.getByTestId("task-filter").fill("");
      await page.getByTestId("task-row").first().waitFor();
    });

    it("draws the loop chart, and it moves", async () => {
      const chart = page.getByTestId("loop-chart");
      await chart.locator("canvas").first().waitFor();
      const first = Number(await chart.getAttribute("data-points"));
      await until(
        async () => Number(await chart.getAttribute("data-points")) >= Math.max(first + 1, 4),
        "new loop samples in the chart",
      );
      // The server answers 503 while Mayhem's main thread is blocked and nothing was kept
      // (the dashboard shows it as such); the browser logs that answer as a console error.
      const blockedAnswer = /status of 503 .*\(http:\/\/[^/]+\/api\/tasks\?[^)]*\)$/;
      assert.deepEqual(
        problems.filter((problem) => !blockedAnswer.test(problem)),
        [],
      );
    });

    // Only for `npm run docs:screenshot`, which says where: not a test the suite skips.
    const screenshotDir = process.env.LOOPSCOPE_SCREENSHOT_DIR;
    if (screenshotDir !== undefined && screenshotDir !== "") {
      it("takes a screenshot into LOOPSCOPE_SCREENSHOT_DIR", async (t) => {
        const dir = screenshotDir;
        // A picture worth keeping: rows, and ten seconds of loop samples in the chart.
        await page.getByTestId("task-row").first().waitFor();
        const chart = page.getByTestId("loop-chart");
        await until(
          async () => Number(await chart.getAttribute("data-points")) >= 10,
          "ten loop samples in the chart",
          20_000,
        );
        const path = join(dir, "dashboard.png");
        await page.screenshot({ path, fullPage: true });
        t.diagnostic(`screenshot: ${path}`);
        assert.ok(existsSync(path));
      });
    }

    it("shuts down on SIGTERM (exit 0), and the page sees the connection go", async () => {
      mayhem.child.kill("SIGTERM");
      const { code, signal } = await mayhem.exited;
      assert.equal(signal, null);
      assert.equal(code, 0, mayhem.stderr());
      await page
        .getByTestId("connection")
        .and(page.locator('[data-state="disconnected"], [data-state="connecting"]'))
        .waitFor();
    });
  },
);
