/**
 * A stack, innermost first. Runs of Node's and loopscope's own frames fold into one line
 * (as the text output folds them) until the reader asks for every frame.
 */
import { useState } from "preact/hooks";
import type { Frame } from "../../src/protocol/index.js";
import { frameLocation, isFoldedFrame } from "../format.js";

type Line =
  | { readonly kind: "frame"; readonly frame: Frame; readonly index: number }
  | { readonly kind: "folded"; readonly count: number; readonly index: number };

function foldFrames(frames: readonly Frame[], showAll: boolean): Line[] {
  const lines: Line[] = [];
  frames.forEach((frame, index) => {
    if (showAll || !isFoldedFrame(frame)) {
      lines.push({ kind: "frame", frame, index });
      return;
    }
    const last = lines[lines.length - 1];
    if (last?.kind === "folded") {
      lines[lines.length - 1] = { ...last, count: last.count + 1 };
    } else {
      lines.push({ kind: "folded", count: 1, index });
    }
  });
  return lines;
}

interface FrameListProps {
  readonly frames: readonly Frame[];
  /** Said instead of an empty list. */
  readonly empty?: string;
}

export function FrameList({ frames, empty = "no frames captured" }: FrameListProps) {
  const [showAll, setShowAll] = useState(false);
  if (frames.length === 0) return <p class="muted frames-empty">{empty}</p>;
  const foldable = frames.some(isFoldedFrame);
  const lines = foldFrames(frames, showAll);
  return (
    <div class="frames">
      <ol class="frame-list">
        {lines.map((line) =>
          line.kind === "frame" ? (
            <li
              key={line.index}
              class={isFoldedFrame(line.frame) ? "frame frame-folded" : "frame"}
              title={frameLocation(line.frame)}
            >
              <span class="frame-fn">{line.frame.fn || "<anonymous>"}</span>{" "}
              <span class="frame-loc">{frameLocation(line.frame)}</span>
            </li>
          ) : (
            <li key={`fold-${line.index}`} class="frame frame-fold-marker">
              … {line.count} internal frame{line.count === 1 ? "" : "s"}
            </li>
          ),
        )}
      </ol>
      {foldable && (
        <button type="button" class="link-button" onClick={() => setShowAll(!showAll)}>
          {showAll ? "fold internal frames" : "show all frames"}
        </button>
      )}
    </div>
  );
}
