/**
 * A `loop-blocked` report in full: why (the cause and the figures it rests on), where (the
 * stack, or the callbacks seen most), in which task, and what the flight recorder saw in
 * the seconds before it ended.
 */
import { Fragment } from "preact";
import type { LoopBlockedEvent } from "../../src/protocol/index.js";
import { formatClock, formatCount, formatDuration, frameLocation } from "../format.js";
import {
  causeOf,
  causeSentence,
  causeWords,
  evidenceFacts,
  evidenceOf,
  stackTitle,
} from "../stall.js";
import { Section, TaskCreation } from "./EventParts.js";
import { FrameList } from "./FrameList.js";
import { RecorderList } from "./RecorderList.js";

export function BlockDetail({ event }: { event: LoopBlockedEvent }) {
  const cause = causeOf(event);
  const evidence = evidenceOf(event);
  const functions = evidence.functions ?? [];
  const endedAt = event.endedAt ?? event.time;
  return (
    <div class="block-detail" data-testid="block-detail" data-cause={cause}>
      <p>
        <span class={`cause cause-${cause}`} data-testid="block-cause">
          {causeWords(event)}
        </span>{" "}
        {causeSentence(event)}
      </p>
      <dl class="detail-facts">
        <dt>{cause === "host-paused" ? "paused" : "blocked"}</dt>
        <dd>
          {formatDuration(event.durationMs)}
          {event.count > 1 && ` (the longest of ${formatCount(event.count)} at this place)`}
        </dd>
        <dt>ended</dt>
        <dd>{formatClock(endedAt)}</dd>
        {evidenceFacts(evidence).map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
        {event.task && (
          <>
            <dt>task</dt>
            <dd>
              #{event.task.id} {event.task.name}
            </dd>
          </>
        )}
      </dl>
      {event.note && <p class="muted">{event.note}</p>}
      {functions.length > 0 && (
        <Section title="callbacks seen most">
          <ol class="frame-list">
            {functions.map(({ frame, seen }, index) => (
              <li key={index} class="frame" title={frameLocation(frame)}>
                <span class="frame-fn">{frame.fn || "<anonymous>"}</span>{" "}
                <span class="frame-loc">{frameLocation(frame)}</span>{" "}
                <span class="muted">
                  seen {formatCount(seen)}
                  {evidence.captures !== undefined && ` of ${formatCount(evidence.captures)}`}
                </span>
              </li>
            ))}
          </ol>
        </Section>
      )}
      {cause !== "host-paused" && !(cause === "many-callbacks" && functions.length > 0) && (
        <Section title={stackTitle(event)}>
          <FrameList frames={event.stack} empty="nothing could be captured" />
        </Section>
      )}
      {event.task && <TaskCreation task={event.task} />}
      <Section title="flight recorder: what led up to it">
        {event.recorder ? (
          <RecorderList window={event.recorder} end={endedAt} endLabel="the block's end" />
        ) : (
          <p class="muted" data-testid="no-recorder">
            this report carries no recorder window (the recorder is off, or the process's loopscope
            does not send one)
          </p>
        )}
      </Section>
    </div>
  );
}
