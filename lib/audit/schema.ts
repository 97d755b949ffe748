/**
 * What the public API promises of a schema: the validating half of a zod
 * schema, written out so that our published types do not depend on zod's.
 * A zod schema of the right output type fits it, so does any object with the
 * same `parse` and `safeParse`.
 *
 * @module
 */

/** One problem found in the input: where, and what was expected. */
export interface SchemaIssue {
  /** The keys and indexes leading to the bad value; empty for the top level. */
  readonly path: readonly PropertyKey[];
  /** What is wrong there, as a sentence fragment. */
  readonly message: string;
}

/** The error for input that does not match: an `Error` listing every issue. */
export interface SchemaError extends Error {
  /** The problems found, at least one. */
  readonly issues: readonly SchemaIssue[];
}

/** What {@linkcode Schema.safeParse} returns: the valid value, or the error. */
export type SafeParseResult<T> =
  | {
    /** The input is valid. */
    readonly success: true;
    /** The input as `T` (defaults filled in). */
    readonly data: T;
  }
  | {
    /** The input is not valid. */
    readonly success: false;
    /** Why not. */
    readonly error: SchemaError;
  };

/**
 * Validates unknown input (parsed JSON, options from a config) as a `T`. Zod
 * schemas are `Schema`s.
 *
 * @example A zod schema is a Schema
 * ```ts
 * import type { Schema } from "./schema.ts";
 * import { z } from "zod";
 * import assert from "node:assert/strict";
 *
 * const port: Schema<number> = z.number().int().positive();
 * assert.equal(port.parse(8080), 8080);
 * const result = port.safeParse(-1);
 * assert.equal(result.success, false);
 * if (!result.success) assert.deepEqual(result.error.issues[0].path, []);
 * ```
 */
export interface Schema<T> {
  /** Returns the input as a `T`; throws a {@linkcode SchemaError} when it is not one. */
  parse(input: unknown): T;
  /** Like {@linkcode Schema.parse}, but returns the error instead of throwing it. */
  safeParse(input: unknown): SafeParseResult<T>;
}
