import assert from "node:assert/strict";
import { mapStrings, walkStrings } from "../../../lib/plugin/kit/json_walk.ts";

Deno.test("mapStrings returns the value itself, uncopied, when nothing is replaced", () => {
  const value = { a: [1, "x", { b: "y", c: null }], d: true, e: "z" };
  const seen: string[] = [];
  const out = mapStrings(value, "root", (s, path) => {
    seen.push(`${path}=${s}`);
    return undefined;
  });
  assert.equal(out, value);
  assert.deepEqual(seen, ["root.a[1]=x", "root.a[2].b=y", "root.e=z"]);
});

Deno.test("mapStrings copies only the objects and arrays on the way to a replaced string", () => {
  const inner = { keep: ["k"] };
  const value = { first: 1, list: ["a", "secret", "c"], inner, last: "l" };
  const out = mapStrings(
    value,
    "",
    (s) => (s === "secret" ? "[x]" : undefined),
  ) as typeof value;
  assert.deepEqual(out, {
    first: 1,
    list: ["a", "[x]", "c"],
    inner,
    last: "l",
  });
  assert.notEqual(out, value);
  assert.notEqual(out.list, value.list);
  assert.equal(out.inner, inner);
  assert.deepEqual(Object.keys(out), ["first", "list", "inner", "last"]);
  assert.deepEqual(value.list, ["a", "secret", "c"]);
});

Deno.test("walkStrings and mapStrings see the same strings at the same paths", () => {
  const value = { a: [{ b: "x" }, ["y", { c: "z" }]], "k.j": "w" };
  const walked: string[] = [];
  walkStrings(
    value,
    "arguments",
    (s, _key, path) => walked.push(`${path()}=${s}`),
  );
  const mapped: string[] = [];
  mapStrings(value, "arguments", (s, path) => {
    mapped.push(`${path}=${s}`);
    return undefined;
  });
  assert.deepEqual(mapped, walked);
});

Deno.test("paths under long keys and deep arrays are built as for short ones", () => {
  const long = "k".repeat(300);
  const value = { [long]: { inner: ["a", "b"] }, short: [[["c"]]] };
  const walked: string[] = [];
  walkStrings(
    value,
    "result",
    (s, _key, path) => walked.push(`${path()}=${s}`),
  );
  assert.deepEqual(walked, [
    `result.${long}.inner[0]=a`,
    `result.${long}.inner[1]=b`,
    "result.short[0][0][0]=c",
  ]);
  // Again, now that the short paths are known.
  const again: string[] = [];
  mapStrings(value, "result", (s, path) => {
    again.push(`${path}=${s}`);
    return undefined;
  });
  assert.deepEqual(again, walked);
});
