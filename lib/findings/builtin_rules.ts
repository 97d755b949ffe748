/**
 * The built-in finding rules, in the order they are run. They need no
 * config: each reads the classes and entities the plugins logged.
 *
 * @module
 */
import type { FindingRule } from "./finding.ts";
import { dataFlowOut } from "./data_flow_out.ts";
import { unseenIdentifier } from "./unseen_identifier.ts";
import { writeWithoutRead } from "./write_without_read.ts";
import { unconfirmedWrite } from "./unconfirmed_write.ts";
import { repeatedCall } from "./repeated_call.ts";
import { errorStorm } from "./error_storm.ts";
import { instructionsInData } from "./instructions_in_data.ts";
import { scopeCrossing } from "./scope_crossing.ts";
import { writeAfterDenial } from "./write_after_denial.ts";
import { toolChanged } from "./tool_changed.ts";
import { pathOutsideRoots } from "./path_outside_roots.ts";

/**
 * Every built-in rule.
 *
 * @example
 * ```ts
 * import { BUILTIN_RULES } from "./builtin_rules.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(BUILTIN_RULES.some((r) => r.id === "data-flow-out"));
 * ```
 */
export const BUILTIN_RULES: readonly FindingRule[] = [
  dataFlowOut,
  unseenIdentifier,
  writeWithoutRead,
  unconfirmedWrite,
  repeatedCall,
  errorStorm,
  instructionsInData,
  scopeCrossing,
  writeAfterDenial,
  toolChanged,
  pathOutsideRoots,
];
