/**
 * The Findings section, first on the page: what a reviewer would ask of the
 * session, answered from the log, most severe first. Each finding opens to
 * its explanation, and its button filters the timeline to its events.
 *
 * @module
 */
import type { VNode } from "preact";
import type { ReportModel } from "./model.ts";
import { RedactedText } from "./redacted_text.tsx";
import { formatCount, inline } from "./_text.ts";
import { LISTED_FINDINGS } from "./_findings_model.ts";

/** Props of {@linkcode FindingsSection}. */
export interface FindingsProps {
  model: ReportModel;
}

/**
 * Renders the findings, or says that there are none.
 *
 * @example
 * ```tsx
 * import { render } from "preact-render-to-string";
 * import { buildReportModel } from "./model.ts";
 * import { FindingsSection } from "./findings.tsx";
 * import assert from "node:assert/strict";
 *
 * assert.match(render(<FindingsSection model={buildReportModel([])} />), /No findings/);
 * ```
 */
export function FindingsSection({ model }: FindingsProps): VNode {
  const findings = model.findings;
  const many = model.sessions.length > 1;
  return (
    <section id="findings" aria-labelledby="findings-h">
      <div class="section-head">
        <h2 id="findings-h">Findings</h2>
        <span class="muted" data-findings={findings.length}>
          {findings.length === 0
            ? ""
            : `${formatCount(findings.length)} ${
              findings.length === 1 ? "finding" : "findings"
            }, most severe first`}
        </span>
      </div>
      {findings.length === 0
        ? (
          <p class="note">
            No findings: none of the rules (data flow out, unseen identifiers,
            writes without a read or after a denial, loops, error storms,
            instructions in data, scope crossing, changed tools, paths outside
            the allowed roots) fired.
          </p>
        )
        : (
          <ol class="findings">
            {findings.slice(0, LISTED_FINDINGS).map((f, i) => (
              <li>
                <details
                  class={`finding sev-${f.severity}`}
                  data-rule={f.rule}
                  data-severity={f.severity}
                >
                  <summary>
                    <span class={`badge sev sev-${f.severity}`}>
                      {f.severity.toUpperCase()}
                    </span>{" "}
                    <span class="finding-title">
                      <RedactedText text={f.title} max={300} />
                    </span>{" "}
                    <code class="muted">{f.rule}</code>
                    {many && (
                      <span class="muted">
                        {` · ${model.sessions[f.sessionIndex]?.label ?? ""}`}
                      </span>
                    )}
                  </summary>
                  <p>
                    <RedactedText text={f.explanation} max={2000} />
                  </p>
                  <p class="muted">
                    Events: seq {f.seqs.join(", ")}
                    {f.loggedSeq !== undefined && (f.loggedOnly
                      ? ` · logged live at seq ${f.loggedSeq}; its rule is not run here (a plugin not loaded, or switched off)`
                      : ` · logged live at seq ${f.loggedSeq}`)}
                    {f.entities.length > 0 && (
                      <>
                        {" · "}Entities: {f.entities.map((e, j) => (
                          <>
                            {j > 0 && ", "}
                            <code>
                              {inline(e.type, 40)}=<RedactedText
                                text={e.value}
                                max={120}
                              />
                            </code>
                          </>
                        ))}
                      </>
                    )}
                  </p>
                  {f.prove && (
                    <p class="finding-proof">
                      Prove its events (inclusion proofs in one file, checked by
                      {" "}
                      <code>mcp-audit verify-proof FILE --pubkey KEY</code>):
                      {" "}
                      <code class="prove">{f.prove}</code>
                      {f.download && (
                        <>
                          {" "}or{" "}
                          <a
                            class="proof-download"
                            href={f.download.href}
                            download={f.download.file}
                          >
                            download {f.download.file}
                          </a>, what it writes.
                        </>
                      )}
                    </p>
                  )}
                  <button
                    type="button"
                    class="finding-filter secondary"
                    data-f={i}
                  >
                    Show its events in the timeline
                  </button>
                </details>
              </li>
            ))}
            {findings.length > LISTED_FINDINGS && (
              <li class="note">
                and {formatCount(findings.length - LISTED_FINDINGS)}{" "}
                more, the least severe; "mcp-audit summary" lists them all.
              </li>
            )}
          </ol>
        )}
    </section>
  );
}
