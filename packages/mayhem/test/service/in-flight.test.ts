import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlightTable } from "../../src/service/in-flight.js";
import type { CancellableWork } from "../../src/service/index.js";
import { FakeDelivery, sampleMessage } from "../helpers/fake-delivery.js";

const work = (): CancellableWork => ({ promise: Promise.resolve(), cancel: () => undefined });

describe("InFlightTable", () => {
  it("holds deliveries in slots, frees them, and reuses freed slots", () => {
    const table = new InFlightTable();
    const a = new FakeDelivery(sampleMessage, "a");
    const b = new FakeDelivery(sampleMessage, "b");
    const c = new FakeDelivery(sampleMessage, "c");
    const taskOfB = work();
    const slotA = table.add(a, undefined);
    const slotB = table.add(b, taskOfB);
    assert.equal(table.size, 2);
    assert.equal(table.delivery(slotA), a);
    table.remove(slotA);
    table.remove(slotA); // twice: no effect
    assert.equal(table.size, 1);
    assert.equal(table.delivery(slotA), undefined);
    const slotC = table.add(c, undefined);
    assert.equal(slotC, slotA, "the freed slot is reused");
    assert.deepEqual(table.entries(), [
      [c, undefined],
      [b, taskOfB],
    ]);
    table.remove(slotB);
    table.remove(slotC);
    assert.equal(table.size, 0);
    assert.deepEqual(table.entries(), []);
  });
});
