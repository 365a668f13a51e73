/**
 * The version of loopscope's event and snapshot schema (./schema.ts), carried by every
 * event as `protocol`, so a client reading an events file or a dump file knows what it
 * reads.
 *
 * Adding a field, an event type or a value of a union (a new `AwaitKind`) does not change
 * it: clients ignore what they do not know. It goes up by one when a field is removed or
 * renamed, or its meaning or unit changes: whatever would make an existing client read
 * wrong data. A client should refuse, or read with care, a version it does not know.
 */
export const PROTOCOL_VERSION = 1;
