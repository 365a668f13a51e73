import { headers, type MsgHdrs } from "@nats-io/transport-node";

/** Headers a dead letter carries; its payload is the original message's, unchanged. */
export const DeadLetterHeader = Object.freeze({
  reason: "Mayhem-Reason",
  stream: "Mayhem-Stream",
  streamSequence: "Mayhem-Stream-Seq",
  deliveries: "Mayhem-Deliveries",
  deadAt: "Mayhem-Dead-At",
} as const);

export interface DeadLetterOrigin {
  readonly stream: string;
  readonly streamSequence: number;
  readonly deliveries: number;
  readonly reason: string;
  readonly at: Date;
}

/** Builds the headers of a dead letter. */
export function deadLetterHeaders(origin: DeadLetterOrigin): MsgHdrs {
  const h = headers();
  h.set(DeadLetterHeader.reason, origin.reason);
  h.set(DeadLetterHeader.stream, origin.stream);
  h.set(DeadLetterHeader.streamSequence, String(origin.streamSequence));
  h.set(DeadLetterHeader.deliveries, String(origin.deliveries));
  h.set(DeadLetterHeader.deadAt, origin.at.toISOString());
  return h;
}

/**
 * The dead letter's `Nats-Msg-Id`: the stream deduplicates a dead letter stored
 * twice (an instance stored it, then died before its `+TERM` reached the server).
 */
export function deadLetterMsgId(stream: string, streamSequence: number): string {
  return `${stream}:${streamSequence}`;
}
