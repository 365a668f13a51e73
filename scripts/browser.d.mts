/** Types of browser.mjs, for the TypeScript tests that drive the inspector's dashboard. */
import type { BrowserContext, BrowserType } from "playwright-core";

export const CHROMIUM: "/usr/bin/chromium";

export function browserTestsSkipped(): string | undefined;

export interface LaunchedBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export function launchBrowser(
  options?: Parameters<BrowserType["launchPersistentContext"]>[1],
): Promise<LaunchedBrowser>;

export function watchPageProblems(context: BrowserContext): Promise<string[]>;

export function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs?: number,
): Promise<void>;
