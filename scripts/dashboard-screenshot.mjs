#!/usr/bin/env node
/**
 * Makes docs/images/dashboard.png: runs Mayhem's dashboard test (built Mayhem, headless
 * Chromium) with LOOPSCOPE_SCREENSHOT_DIR set to a temporary directory, then copies the
 * full-page screenshot it took there. Needs `npm run build` first and /usr/bin/chromium.
 *
 * Usage: npm run docs:screenshot
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const mayhemDir = join(root, "packages", "mayhem");
const target = join(root, "docs", "images", "dashboard.png");
const shots = mkdtempSync(join(tmpdir(), "loopscope-screenshot-"));

try {
  const env = { ...process.env, LOOPSCOPE_SCREENSHOT_DIR: shots };
  delete env.LOOPSCOPE_BROWSER_TESTS;
  const test = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-reporter=spec", "test/inspector/dashboard.test.ts"],
    { cwd: mayhemDir, env, stdio: "inherit" },
  );
  const shot = join(shots, "dashboard.png");
  if (test.status !== 0 || !existsSync(shot)) {
    console.error(
      `docs:screenshot: the dashboard test failed (exit ${test.status ?? test.signal})`,
    );
    process.exitCode = 1;
  } else {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(shot, target);
    console.log(`docs:screenshot: ${target}`);
  }
} finally {
  rmSync(shots, { recursive: true, force: true });
}
