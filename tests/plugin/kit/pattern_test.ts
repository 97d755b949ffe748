import assert from "node:assert/strict";
import {
  compilePattern,
  patternFlagsProblem,
  PatternFlagsSchema,
} from "../../../lib/plugin/kit/pattern.ts";

Deno.test("flags that say what a pattern matches are accepted, g among them; y, unknown and repeated flags are not", () => {
  for (const flags of ["", "i", "gi", "dimsu", "v", "g"]) {
    assert.equal(patternFlagsProblem(flags), undefined, `"${flags}"`);
    assert.equal(PatternFlagsSchema.safeParse(flags).success, true);
  }
  for (const flags of ["y", "gy", "iy"]) {
    assert.match(patternFlagsProblem(flags) ?? "", /flag "y" \(sticky\)/);
    assert.equal(PatternFlagsSchema.safeParse(flags).success, false);
  }
  for (const flags of ["x", "ii", "uv"]) {
    assert.match(
      patternFlagsProblem(flags) ?? "",
      /not valid regular-expression flags/,
    );
  }
});

Deno.test("compilePattern gives g only when the plugin asks, whatever the config says, so a test keeps no place between calls", () => {
  const once = compilePattern("drop", "gi");
  assert.equal(once.flags, "i");
  assert.deepEqual(
    [1, 2, 3].map(() => once.test("DROP TABLE")),
    [true, true, true],
  );
  assert.equal(compilePattern("drop", "i", { global: true }).flags, "gi");
  assert.equal(compilePattern("drop", "gi", { global: true }).flags, "gi");
  assert.equal(compilePattern("drop").flags, "");
  assert.throws(
    () => compilePattern("drop", "y"),
    (error: Error) =>
      error instanceof SyntaxError && /\/drop\/y: flag "y"/.test(error.message),
  );
});
