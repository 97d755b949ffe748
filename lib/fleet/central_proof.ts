/**
 * `prove --from`: an inclusion proof for an event read from the central
 * store. The session's stored lines are read back in seq order (`FINAL`,
 * one row per seq) and written, exactly as stored, to a private temporary
 * file, from which the local `buildProof` makes the bundle; so the bundle
 * is the one a `prove` on the edge machine's file gives, and
 * `verify-proof` checks it the same way, against the signature made on the
 * edge machine.
 *
 * @module
 */
import { buildProof, type ProofBundle } from "../evidence/proof.ts";
import { type ClickHouseStore, sqlString } from "./clickhouse_store.ts";
import { TABLES } from "./fleet_schema.ts";
import { ProofError } from "../evidence/proof.ts";

/** Options for {@linkcode proveCentral}. */
export interface CentralProofOptions {
  /** The session (required: the store holds many). */
  session: string;
  /** The event's seq. */
  seq: number;
  /** Prove against the session's last stored checkpoint. @default {false} */
  final?: boolean;
}

/**
 * Makes the proof bundle for event `seq` of `session` from the store.
 * Throws `ProofError` when the session, the event or a covering checkpoint
 * is not stored.
 *
 * @example
 * ```ts ignore
 * import { ClickHouseStore } from "./clickhouse_store.ts";
 * import { proveCentral } from "./central_proof.ts";
 *
 * const store = new ClickHouseStore({ url: "http://127.0.0.1:8123" });
 * const bundle = await proveCentral(store, { session: "6af3...", seq: 4 });
 * console.log(bundle.treeSize);
 * await store.close();
 * ```
 */
export async function proveCentral(
  store: ClickHouseStore,
  options: CentralProofOptions,
): Promise<ProofBundle> {
  const path = await Deno.makeTempFile({
    prefix: "mcp-audit-central-",
    suffix: ".jsonl",
  });
  try {
    await Deno.chmod(path, 0o600).catch(() => {});
    const file = await Deno.open(path, { write: true, truncate: true });
    const encoder = new TextEncoder();
    let rows = 0;
    try {
      await store.each<{ line: string }>(
        `SELECT line FROM ${store.database}.${TABLES.events} FINAL WHERE session = ${
          sqlString(options.session)
        } ORDER BY seq`,
        async (row) => {
          rows++;
          const bytes = encoder.encode(row.line + "\n");
          let offset = 0;
          while (offset < bytes.length) {
            offset += await file.write(bytes.subarray(offset));
          }
        },
      );
    } finally {
      file.close();
    }
    if (rows === 0) {
      throw new ProofError(
        `Session ${options.session} has no rows in ${store.label}: ship it first ("mcp-audit ship"), or check the session id ("mcp-audit verify --from ... --since 7d" lists the stored sessions).`,
      );
    }
    const where = `${store.label}.${TABLES.events} session ${options.session}`;
    let bundle: ProofBundle;
    try {
      bundle = await buildProof(path, {
        seq: options.seq,
        session: options.session,
        final: options.final,
      });
    } catch (error) {
      if (error instanceof ProofError) {
        throw new ProofError(error.message.replaceAll(`"${path}"`, where), {
          cause: error,
        });
      }
      throw error;
    }
    return {
      ...bundle,
      source: {
        path: where,
        eventLine: bundle.source?.eventLine ?? 0,
        checkpointLine: bundle.source?.checkpointLine ?? 0,
      },
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
