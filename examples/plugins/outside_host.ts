/**
 * An example plugin that adds a finding rule and nothing else:
 * `outside-host`, a WRITE call (a send, a post, an update) whose arguments
 * hold a URL to a host outside the organisation's domains, the way a
 * webhook or a link carries data out. `report`, `summary` and
 * `check --fail-on finding:outside-host` run it beside the built-in rules
 * when the config names the plugin:
 *
 * ```jsonc
 * {
 *   "plugins": [
 *     "sensitivity", "annotations", "entities", "redact",
 *     { "use": "./examples/plugins/outside_host.ts", "options": { "domains": ["example.com"] } }
 *   ],
 *   "findings": { "outside-host": { "severity": "medium" } }
 * }
 * ```
 *
 * @module
 */
import { z } from "zod";
import {
  defineFindingRule,
  definePlugin,
  type Finding,
} from "../../lib/plugin/kit/mod.ts";

const Options = z.object({
  /** The organisation's own domains; a host under one of them is inside. */
  domains: z.array(z.string()).default(["example.com"]),
});

let domains: string[] = ["example.com"];

const URL_HOST = /\bhttps?:\/\/([\w-]+(?:\.[\w-]+)*)/gi;

const outsideHost = defineFindingRule({
  id: "outside-host",
  description: "a WRITE call names a URL outside the organisation's domains",
  find(session): Finding[] {
    const findings: Finding[] = [];
    for (const call of session.calls) {
      if (!call.classes.has("WRITE")) continue;
      const text = JSON.stringify(call.arguments);
      for (const [, name] of text.matchAll(URL_HOST)) {
        const host = name.toLowerCase();
        if (domains.some((d) => host === d || host.endsWith(`.${d}`))) continue;
        findings.push({
          rule: "outside-host",
          severity: "high",
          title: `${call.tool} sent to ${host}, outside ${domains.join(", ")}`,
          explanation:
            "A WRITE call named a URL on a host outside the organisation's domains: what it carried may have left.",
          session: session.session,
          seqs: [
            call.requestSeq,
            ...(call.replySeq === undefined ? [] : [call.replySeq]),
          ],
          entities: [{ type: "host", value: host }],
          value: host,
        });
      }
    }
    return findings;
  },
});

export default definePlugin<z.infer<typeof Options>>({
  name: "outside-host",
  options: Options,
  setup(options): void {
    domains = options.domains.map((d) => d.toLowerCase());
  },
  findings: [outsideHost],
});
