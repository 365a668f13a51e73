import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { KNOBS } from "../../src/config/index.js";
import { README, renderKnobTable, withKnobTable } from "../../scripts/knob-table.js";

describe("the README's knob table", () => {
  const readme = readFileSync(README, "utf8");

  it("is the one rendered from KNOBS (run `npm run docs:knobs` after changing a knob)", () => {
    assert.equal(withKnobTable(readme, renderKnobTable()), readme);
  });

  it("has one row per knob, with its flag, variable and description", () => {
    const rows = renderKnobTable().split("\n").slice(2);
    assert.equal(rows.length, KNOBS.length);
    KNOBS.forEach((knob, i) => {
      assert.ok(rows[i]!.startsWith(`| \`${knob.flag} `), rows[i]);
      assert.ok(rows[i]!.includes(`| \`${knob.env}\` |`), rows[i]);
    });
  });

  it("would differ from the README if a knob changed", () => {
    const changed = KNOBS.map((knob) =>
      knob.key === "maxInFlight" ? { ...knob, description: "something else" } : knob,
    );
    assert.notEqual(withKnobTable(readme, renderKnobTable(changed)), readme);
  });
});
