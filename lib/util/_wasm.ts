/**
 * A few bytes of WebAssembly assembler, for the modules that are assembled
 * at load so that no binary is shipped: the wire's scanning loops
 * (`_string_end.ts`, `_find_byte.ts`: one exported function over one
 * exported memory) and the four-way SHA-256 (`lib/seal/_sha256x4.ts`).
 *
 * @module
 */

/** What {@linkcode wasmFunction} builds. */
export interface WasmFunctionSpec {
  /** Parameters, all i32. */
  params: number;
  /** i32 locals after the parameters. */
  i32Locals: number;
  /** i64 locals after those. @default {0} */
  i64Locals?: number;
  /** v128 locals after those. */
  v128Locals: number;
  /** The body's instructions, ending with `end` (0x0b); the result is an i32. */
  code: number[];
  /** Memory pages (64 KiB each). */
  pages: number;
}

/**
 * Instantiates a module of one function `f` returning an i32, with its
 * memory as a byte array.
 *
 * @example
 * ```ts
 * import { wasmFunction } from "./_wasm.ts";
 * import assert from "node:assert/strict";
 *
 * // f(a, b) = a + b
 * const { f } = wasmFunction({ params: 2, i32Locals: 0, v128Locals: 0, code: [0x20, 0, 0x20, 1, 0x6a, 0x0b], pages: 1 });
 * assert.equal(f(2, 3), 5);
 * ```
 */
export function wasmFunction(spec: WasmFunctionSpec): {
  f: (...args: number[]) => number;
  memory: Uint8Array;
} {
  const locals = [
    ...(spec.i32Locals ? [[spec.i32Locals, 0x7f]] : []),
    ...(spec.i64Locals ? [[spec.i64Locals, 0x7e]] : []),
    ...(spec.v128Locals ? [[spec.v128Locals, 0x7b]] : []),
  ];
  const body = [locals.length, ...locals.flat(), ...spec.code];
  const bytes = functionModule({
    name: "f",
    params: spec.params,
    results: 1,
    pages: spec.pages,
    body,
  });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes))
    .exports as {
      memory: WebAssembly.Memory;
      f: (...args: number[]) => number;
    };
  return { f: exports.f, memory: new Uint8Array(exports.memory.buffer) };
}

/** What {@linkcode functionModule} assembles. */
export interface FunctionModuleSpec {
  /** The function's export name. */
  name: string;
  /** Parameters, all i32. */
  params: number;
  /** Results, all i32 (0 or 1). */
  results: number;
  /** Memory pages (64 KiB each), exported as `memory`. */
  pages: number;
  /** The function body: its local declarations, then its code. */
  body: number[];
}

/**
 * The bytes of a module with one exported function of i32 parameters and
 * results, and one exported memory.
 *
 * @example
 * ```ts
 * import { functionModule } from "./_wasm.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = functionModule({ name: "one", params: 0, results: 1, pages: 1, body: [0, 0x41, 1, 0x0b] });
 * const { one } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as { one: () => number };
 * assert.equal(one(), 1);
 * ```
 */
export function functionModule(
  spec: FunctionModuleSpec,
): Uint8Array<ArrayBuffer> {
  const name = [...new TextEncoder().encode(spec.name)];
  const memory = [...new TextEncoder().encode("memory")];
  const i32s = (n: number): number[] => new Array(n).fill(0x7f);
  return new Uint8Array([
    // "\0asm", version 1.
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [
      1,
      0x60,
      spec.params,
      ...i32s(spec.params),
      spec.results,
      ...i32s(spec.results),
    ]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, ...leb(spec.pages)]),
    ...section(7, [
      2,
      name.length,
      ...name,
      0,
      0,
      memory.length,
      ...memory,
      2,
      0,
    ]),
    ...section(10, [1, ...leb(spec.body.length), ...spec.body]),
  ]);
}

/**
 * A module section: its id, its length as LEB128, and its bytes.
 *
 * @example
 * ```ts
 * import { section } from "./_wasm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(section(3, [1, 0]), [3, 2, 1, 0]);
 * ```
 */
export function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

/**
 * Signed LEB128, for `i32.const` immediates.
 *
 * @example
 * ```ts
 * import { sleb } from "./_wasm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(sleb(-1), [0x7f]);
 * assert.deepEqual(sleb(64), [0xc0, 0x00]);
 * ```
 */
export function sleb(value: number): number[] {
  const out: number[] = [];
  while (true) {
    const byte = value & 0x7f;
    value >>= 7;
    if (
      (value === 0 && (byte & 0x40) === 0) ||
      (value === -1 && (byte & 0x40) !== 0)
    ) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/**
 * Unsigned LEB128, for sizes, counts and indices.
 *
 * @example
 * ```ts
 * import { leb } from "./_wasm.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(leb(624485), [0xe5, 0x8e, 0x26]);
 * ```
 */
export function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}
