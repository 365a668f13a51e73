/**
 * The headless Chromium the dashboard tests of both packages drive (through playwright-core,
 * never a downloaded browser): Debian's /usr/bin/chromium with a throwaway profile. One
 * module at the root, like child-env.mjs, since loopscope must not depend on Mayhem.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a quiet, deterministic headless run in a container (no sandbox, no GPU). */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-extensions",
  "--disable-default-apps",
];

/**
 * Why the browser tests are skipped, or `undefined` when they run. Only an explicit
 * LOOPSCOPE_BROWSER_TESTS=0 skips them; a missing browser is a failure (see launchBrowser).
 */
export function browserTestsSkipped() {
  return process.env.LOOPSCOPE_BROWSER_TESTS === "0"
    ? "LOOPSCOPE_BROWSER_TESTS=0: browser tests turned off"
    : undefined;
}

/**
 * A fresh browser context in a temporary profile directory; `close()` ends the browser
 * and removes the directory. Throws, saying how to install it, when Chromium is missing.
 */
export async function launchBrowser(options = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM}: install it (apt-get install chromium), ` +
        "or set LOOPSCOPE_BROWSER_TESTS=0 to skip them",
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "loopscope-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      acceptDownloads: true,
      viewport: { width: 1400, height: 900 },
      ...options,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Collects what the page reports as wrong: console errors, uncaught exceptions and
 * Content-Security-Policy violations (seen by an init script, since Chromium reports them
 * to the page's console only as text). Call before the first navigation.
 */
export async function watchPageProblems(context) {
  const problems = [];
  await context.addInitScript(() => {
    globalThis.document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}` +
          ` (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  const watch = (page) => {
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      // "Failed to load resource" names its URL only in the location.
      const { url } = message.location();
      problems.push(`console error: ${message.text()}${url ? ` (${url})` : ""}`);
    });
    page.on("pageerror", (error) =>
      problems.push(`page error: ${error.message}${error.stack ? `\n${error.stack}` : ""}`),
    );
  };
  for (const page of context.pages()) watch(page);
  context.on("page", watch);
  return problems;
}

/**
 * Resolves once `check` (asked every 100 ms) answers true; rejects after `timeoutMs`,
 * saying what it waited for. For conditions read through locators, from Node.
 */
export async function until(check, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
