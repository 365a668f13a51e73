import type { Frame } from "./schema.js";

/**
 * Application code: neither Node's own (`internal`) nor loopscope's (`loopscope`). The
 * text folds runs of the others, the watchdog names the first of these, a dump hides
 * calls that have none: one meaning of "the application's" for every client.
 */
export function isApplicationFrame(frame: Frame): boolean {
  return frame.internal !== true && frame.loopscope !== true;
}
