/**
 * The version of the event schema, written in every event's `v` field. Kept
 * apart from the zod schema so the proxy's hot path does not load zod.
 *
 * @module
 */

/** The version of the event schema written in every event's `v` field. */
export const SCHEMA_VERSION = 1 as const;
