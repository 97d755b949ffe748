/**
 * The classifier config, `mcp-audit.jsonc`: JSONC (comments and trailing
 * commas allowed), validated with zod. A bad file is a {@linkcode ConfigError}
 * naming the file, line and column, the offending key and what was expected,
 * raised before any server starts.
 *
 * @module
 */
import { z } from "zod";
import {
  findNodeAtLocation,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import type { ParseError } from "jsonc-parser";
import type { Assert, Equals } from "../util/_type_check.ts";
import {
  type SensitivityOptions,
  SensitivityOptionsSchema,
} from "../../plugins/sensitivity.ts";
import { type Extractor, ExtractorSchema } from "../../plugins/entities.ts";
import {
  type BuiltinEntities,
  BuiltinEntitiesSchema,
} from "../../plugins/entities.ts";
import { type Policy, PolicySchema } from "../guard/policy.ts";

// Layers above the config name extractors through it, not through plugins/.
export type { Extractor };
import {
  type ParsedRedactOptions,
  type RedactOptions,
  RedactOptionsSchema,
} from "../../plugins/redact.ts";

/** A plugin entry: a built-in's name, a module path, or either with options. */
export type PluginEntry = string | {
  /** `sensitivity`, `annotations`, `entities`, `redact`, or a path / URL of a module. */
  use: string;
  /** Options passed to the plugin's `setup` (validated by its own schema). */
  options?: unknown;
};

/** Tamper evidence: the key that signs checkpoints, and how often they come. */
export interface SigningConfig {
  /** Path of a PKCS#8 PEM Ed25519 private key ("mcp-audit keygen"), relative to the config file. */
  key?: string;
  /** A checkpoint after this many events. @default {1000} */
  checkpointEvery?: number;
  /** A checkpoint after this many seconds with new events. @default {10} */
  checkpointSeconds?: number;
}

/** The server the proxy starts, for launchers that cannot pass it after `--`. */
export interface ServerConfig {
  /** The executable, found on PATH. */
  command: string;
  /** Its arguments. @default {[]} */
  args?: string[];
}

/**
 * A config as written: what `mcp-audit.jsonc` holds, or the object given
 * as `config` to `auditTransport`, with every defaulted field optional.
 */
export interface ConfigInput {
  /** The JSON Schema the file follows, for editors. */
  $schema?: string;
  /** Tool classification rules for the built-in `sensitivity` plugin. */
  rules?: SensitivityOptions;
  /** Entity extractors for the built-in `entities` plugin. */
  entities?: Extractor[];
  /** Treat arguments named like ids (`employee_id`) as entities. @default {true} */
  idArguments?: boolean;
  /**
   * The built-in entity extractors (`path`, `url`, `email`, `table`), each
   * on unless set to `false`; `false` turns them all off. @default {{}}
   */
  builtinEntities?: false | BuiltinEntities;
  /** Redaction; `false` turns it off. */
  redact?: false | RedactOptions;
  /** Classify from the server's tool annotations. @default {true} */
  annotations?: boolean;
  /**
   * The pipeline, in order. Default: sensitivity, annotations, entities,
   * redact. Built-ins take their options from the sections above.
   */
  plugins?: PluginEntry[];
  /** Messages larger than this have their payload truncated in the log. */
  maxPayloadBytes?: number;
  /** Where session logs go when --log is not given. */
  logDir?: string;
  /**
   * HTTP proxy: more header names (case-insensitive) to treat as
   * credentials, logged as markers only; added to `--secret-header`.
   */
  secretHeaders?: string[];
  /** How long an asynchronous plugin hook may take, in milliseconds. @default {1000} */
  hookTimeoutMs?: number;
  /** Tamper evidence: the Ed25519 private key file that signs checkpoints, and how often they come. */
  signing?: SigningConfig;
  /**
   * The finding rules: rule id -> `false` (off), or its settings:
   * `enabled`, `severity`, and where the rule has them `threshold`,
   * `medium`, `rate` and `scope`. Read by `check --config`.
   */
  findings?: Record<string, false | FindingRuleSettings>;
  /**
   * Live findings: the proxy runs the finding rules as the session goes
   * and logs each finding as a sealed `finding` event. @default {false}
   */
  liveFindings?: boolean;
  /**
   * The server `mcp-audit proxy` starts when none is given after `--` or
   * with `--server` (for launchers such as the MCP Inspector, which take
   * both for themselves).
   */
  server?: ServerConfig;
  /** `mcp-audit hook`: coding agents' own tool calls, seen through their hooks. */
  hooks?: HooksConfig;
  /** Guard mode: a policy that decides calls before they reach the server (monitor or enforce). */
  policy?: Policy;
}

/**
 * The `hooks` section: what `mcp-audit hook` records and answers. The
 * guard's `policy` decides hook calls as it does the proxy's; `deny` and
 * `ask` are the older class lists, used when there is no policy.
 */
export interface HooksConfig {
  /**
   * Deny a tool call with any of these classes (e.g. `DESTRUCTIVE`).
   * @deprecated Write a `policy` rule: `{"id": "no-rm", "class": "DESTRUCTIVE", "action": "deny"}`.
   */
  deny?: string[];
  /**
   * Ask the user about a tool call with any of these classes.
   * @deprecated Write a `policy` rule with `"action": "ask"`.
   */
  ask?: string[];
  /** Record prompts (redacted); false records only their length. @default {true} */
  prompts?: boolean;
}

/** One finding rule's settings in the config's `findings` section. */
export interface FindingRuleSettings {
  /** `false` switches the rule off. @default {true} */
  enabled?: boolean;
  /** Every finding of the rule gets this severity. */
  severity?: "high" | "medium" | "low";
  /** `repeated-call`: calls alike from which a loop is reported (3); `error-storm`: failed calls from which a storm is (5). */
  threshold?: number;
  /** `repeated-call`: calls alike from which the loop is medium (10). */
  medium?: number;
  /** `error-storm`: share of failed calls, 0 to 1, from which a storm is reported (0.5). */
  rate?: number;
  /** `scope-crossing`: entity type -> the values inside the session's scope. */
  scope?: Record<string, string | string[]>;
}

/** The config file's content as parsed: the plugins' defaults filled in. */
export interface Config extends ConfigInput {
  /** Tool classification rules for the built-in `sensitivity` plugin. */
  rules?: Required<SensitivityOptions>;
  /** Redaction; `false` turns it off. */
  redact?: false | ParsedRedactOptions;
}

const pluginEntry = z.union([
  z.string().min(1),
  z.object({
    use: z.string().min(1),
    options: z.unknown().optional(),
  }).strict(),
]);
/** Validates a {@linkcode PluginEntry}. */
export const PluginEntrySchema: z.ZodType<PluginEntry, PluginEntry> =
  pluginEntry;

const configFile = z.object({
  $schema: z.string().optional(),
  rules: SensitivityOptionsSchema.optional(),
  entities: z.array(ExtractorSchema).optional(),
  idArguments: z.boolean().optional(),
  builtinEntities: z.union([z.literal(false), BuiltinEntitiesSchema])
    .optional(),
  redact: z.union([z.literal(false), RedactOptionsSchema]).optional(),
  annotations: z.boolean().optional(),
  plugins: z.array(PluginEntrySchema).optional(),
  maxPayloadBytes: z.number().int().positive().optional(),
  logDir: z.string().optional(),
  secretHeaders: z.array(z.string().min(1)).optional(),
  hookTimeoutMs: z.number().int().positive().optional(),
  signing: z.object({
    key: z.string().optional(),
    checkpointEvery: z.number().int().positive().optional(),
    checkpointSeconds: z.number().positive().optional(),
  }).strict().optional(),
  server: z.object({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
  }).strict().optional(),
  hooks: z.object({
    deny: z.array(z.string().min(1)).optional(),
    ask: z.array(z.string().min(1)).optional(),
    prompts: z.boolean().optional(),
  }).strict().optional(),
  liveFindings: z.boolean().optional(),
  findings: z.record(
    z.string(),
    z.union([
      z.literal(false),
      z.object({
        enabled: z.boolean().optional(),
        severity: z.enum(["high", "medium", "low"]).optional(),
        threshold: z.number().int().positive().optional(),
        medium: z.number().int().positive().optional(),
        rate: z.number().gt(0).max(1).optional(),
        scope: z.record(z.string(), z.union([z.string(), z.array(z.string())]))
          .optional(),
      }).strict(),
    ]),
  ).optional(),
  policy: PolicySchema.optional(),
}).strict();
/** Validates a whole config file ({@linkcode ConfigInput}) into a {@linkcode Config}. */
export const ConfigSchema: z.ZodType<Config, ConfigInput> = configFile;

type _SchemasMatchInterfaces = [
  Assert<Equals<z.output<typeof pluginEntry>, PluginEntry>>,
  Assert<Equals<z.input<typeof pluginEntry>, PluginEntry>>,
  Assert<Equals<z.output<typeof configFile>, Config>>,
  Assert<Equals<z.input<typeof configFile>, ConfigInput>>,
];

/** A loaded config and where it came from. */
export interface LoadedConfig {
  /** The config, validated. */
  config: Config;
  /** The file it was read from; undefined for the empty default. */
  path?: string;
}

/** One thing wrong in a config file, with where it is. */
export interface ConfigProblem {
  /** What is wrong and how to fix it. */
  message: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

/**
 * The config file is unreadable, not JSONC, or not valid. The message
 * names every problem found, each with its file, line and column, and
 * shows the line with a caret under the column.
 */
export class ConfigError extends Error {
  /** The file. */
  readonly path: string;
  /** 1-based line of the first problem, when known. */
  readonly line?: number;
  /** 1-based column of the first problem, when known. */
  readonly column?: number;
  /** Every problem found, in the order of the file. */
  readonly problems: ConfigProblem[];
  /** Creates the error; the message already says where and what. */
  constructor(
    path: string,
    message: string,
    at?: { line: number; column: number },
    options?: ErrorOptions & { problems?: ConfigProblem[]; text?: string },
  ) {
    const problems = options?.problems ??
      [{ message, line: at?.line, column: at?.column }];
    super(formatProblems(path, problems, options?.text), options);
    this.name = "ConfigError";
    this.path = path;
    this.line = problems[0]?.line;
    this.column = problems[0]?.column;
    this.problems = problems;
  }
}

/** `path:line:column: message` for each problem, each followed by its line and a caret when the text is known. */
function formatProblems(
  path: string,
  problems: ConfigProblem[],
  text?: string,
): string {
  const lines = text?.split("\n");
  const parts = problems.map((p) => {
    const where = p.line === undefined ? "" : `:${p.line}:${p.column}`;
    const head = `${path}${where}: ${p.message}`;
    const source = p.line === undefined ? undefined : lines?.[p.line - 1];
    if (source === undefined || p.column === undefined) return head;
    const gutter = String(p.line);
    const shown = source.replace(/\t/g, " ").replace(/\r$/, "");
    return `${head}\n  ${gutter} | ${shown}\n  ${" ".repeat(gutter.length)} | ${
      " ".repeat(Math.max(0, p.column - 1))
    }^`;
  });
  return problems.length > 1
    ? `${problems.length} problems in ${path}:\n${parts.join("\n")}`
    : parts[0];
}

/** jsonc-parser's error codes, in words. */
const SYNTAX_ERRORS: Record<string, string> = {
  InvalidSymbol: "an unexpected character",
  InvalidNumberFormat: "a malformed number",
  PropertyNameExpected: "expected a key in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected a colon after the key",
  CommaExpected: "expected a comma",
  CloseBraceExpected: "expected a closing }",
  CloseBracketExpected: "expected a closing ]",
  EndOfFileExpected: "expected the end of the file after the top-level value",
  InvalidCommentToken: "a malformed comment",
  UnexpectedEndOfComment: "a comment that is never closed",
  UnexpectedEndOfString: "a string that is never closed",
  UnexpectedEndOfNumber: "a number that ends too soon",
  InvalidUnicode: "a malformed \\u escape",
  InvalidEscapeCharacter: "an escape that JSON does not have",
  InvalidCharacter:
    "a character not allowed inside a string (a raw newline or control character)",
};

/** The file name looked for in the current directory. */
export const CONFIG_FILE = "mcp-audit.jsonc";

/**
 * Parses and validates config text. Throws {@linkcode ConfigError}.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig('{ "rules": { "sensitive": ["get_pay_*"], }, // trailing comma ok\n}', "x.jsonc");
 * assert.deepEqual(config.rules?.sensitive, ["get_pay_*"]);
 * assert.throws(() => parseConfig('{\n  "rules": { "sensitiv": [] }\n}', "x.jsonc"), /x\.jsonc:2:14: .*"sensitiv"/);
 * ```
 */
export function parseConfig(text: string, path: string): Config {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
  });
  if (errors.length > 0 || !tree) {
    if (errors.length === 0) {
      throw new ConfigError(
        path,
        'the file is empty; write a JSON object, or run "mcp-audit init".',
      );
    }
    const problems = errors.map((e) => {
      const code = printParseErrorCode(e.error);
      return {
        message: `not valid JSONC: ${
          SYNTAX_ERRORS[code] ?? code
        }. Fix the syntax there.`,
        ...position(text, e.offset),
      };
    });
    throw new ConfigError(path, problems[0].message, problems[0], {
      problems,
      text,
    });
  }
  const value = nodeValue(tree);
  const result = ConfigSchema.safeParse(value);
  if (result.success) {
    const bad = patternProblems(value);
    if (bad.length === 0) return result.data;
    const problems = bad.map(({ where, message }) => {
      const node = findNodeAtLocation(tree, where);
      return {
        message: `"${where.join(".")}": ${message}`,
        ...position(text, node?.offset ?? 0),
      };
    });
    throw new ConfigError(path, problems[0].message, problems[0], {
      problems,
      text,
    });
  }
  // A misspelt key also leaves its rightly spelt one missing: the spelling
  // is what to fix, so a missing key beside an unknown one is not reported.
  const issues = result.error.issues;
  const misspelt = new Set(
    issues.filter((i) => i.code === "unrecognized_keys").map((i) =>
      JSON.stringify(i.path)
    ),
  );
  const problems = issues.filter((i) =>
    !(i.code === "invalid_type" && i.input === undefined &&
      misspelt.has(JSON.stringify(i.path.slice(0, -1))))
  ).flatMap((issue): z.core.$ZodIssue[] =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ ...issue, keys: [key] }))
      : [issue]
  ).map((issue) => ({
    message: `${keyText(issue)}: ${describe(issue)}`,
    ...position(text, issueOffset(tree, issue)),
  }));
  // Patterns in plugin options are not in the schema: report them too.
  const reported = new Set(issues.map((i) => JSON.stringify(i.path)));
  for (const { where, message } of patternProblems(value)) {
    if (reported.has(JSON.stringify(where))) continue;
    problems.push({
      message: `"${where.join(".")}": ${message}`,
      ...position(text, findNodeAtLocation(tree, where)?.offset ?? 0),
    });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new ConfigError(path, problems[0].message, problems[0], {
    problems,
    text,
    cause: result.error,
  });
}

/** Where the built-in plugins' regular expressions sit in a config, sections and plugin options alike. */
function patternPlaces(
  value: unknown,
): { where: (string | number)[]; rule: unknown }[] {
  const v = value as Record<string, unknown>;
  const places: { where: (string | number)[]; rule: unknown }[] = [];
  const list = (where: (string | number)[], items: unknown): void => {
    if (!Array.isArray(items)) return;
    items.forEach((rule, i) => places.push({ where: [...where, i], rule }));
  };
  list(["rules", "arguments"], (v.rules as Record<string, unknown>)?.arguments);
  list(["entities"], v.entities);
  list(["redact", "patterns"], (v.redact as Record<string, unknown>)?.patterns);
  const inOptions: Record<string, string> = {
    sensitivity: "arguments",
    entities: "extractors",
    redact: "patterns",
  };
  (Array.isArray(v.plugins) ? v.plugins : []).forEach((entry, i) => {
    const use = (entry as { use?: unknown })?.use;
    const key = typeof use === "string" ? inOptions[use] : undefined;
    const options = (entry as { options?: Record<string, unknown> }).options;
    if (key && options) list(["plugins", i, "options", key], options[key]);
  });
  return places;
}

/**
 * Regular expressions in the config that do not compile, each with its
 * key path, so that a typo in a pattern is reported at its line like any
 * other config error rather than by the plugin that fails to use it.
 */
function patternProblems(
  value: unknown,
): { where: (string | number)[]; message: string }[] {
  const problems: { where: (string | number)[]; message: string }[] = [];
  for (const { where, rule } of patternPlaces(value)) {
    const { pattern, flags } = (rule ?? {}) as {
      pattern?: unknown;
      flags?: unknown;
    };
    if (typeof pattern !== "string") continue;
    try {
      new RegExp(
        pattern,
        typeof flags === "string" ? flags.replace(/[gy]/g, "") : "",
      );
    } catch (error) {
      const reason = error instanceof Error
        ? error.message.replace(/^.*: /, "")
        : String(error);
      problems.push({
        where: [...where, "pattern"],
        message:
          `not a valid regular expression (${reason}). Fix the pattern; in JSON a backslash is written "\\\\".`,
      });
    }
  }
  return problems;
}

/** Where an issue is, as a key path (an unknown key's own name included). */
function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  const where = issue.path.filter((p): p is string | number =>
    typeof p !== "symbol"
  );
  return issue.code === "unrecognized_keys" ? [...where, issue.keys[0]] : where;
}

function keyText(issue: z.core.$ZodIssue): string {
  const where = issuePath(issue);
  return where.length ? `"${where.join(".")}"` : "the top level";
}

/** The offset of the deepest node of the issue's path that exists; an unknown key's own property. */
function issueOffset(tree: Node, issue: z.core.$ZodIssue): number {
  const where = issuePath(issue);
  let node = findNodeAtLocation(tree, where);
  for (let n = where.length; !node && n > 0; n--) {
    node = findNodeAtLocation(tree, where.slice(0, n - 1));
  }
  if (node?.parent?.type === "property" && issue.code === "unrecognized_keys") {
    return node.parent.offset;
  }
  return node?.offset ?? 0;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key "${
      issue.keys[0]
    }". Check its spelling against schema/config.schema.json.`;
  }
  if (issue.code === "invalid_union") {
    return 'expected a plugin name or path, or { "use": ..., "options": ... }.';
  }
  return `${issue.message}.`;
}

/**
 * Reads a config: the given file, else `mcp-audit.jsonc` in `cwd` when it
 * exists, else the empty default. Throws {@linkcode ConfigError}.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await loadConfig(undefined, dir), { config: {} });
 * await Deno.remove(dir);
 * ```
 */
export async function loadConfig(
  path?: string,
  cwd: string = Deno.cwd(),
): Promise<LoadedConfig> {
  let file = path;
  if (file === undefined) {
    try {
      await Deno.stat(`${cwd}/${CONFIG_FILE}`);
      file = `${cwd}/${CONFIG_FILE}`;
    } catch {
      return { config: {} };
    }
  }
  let text: string;
  try {
    text = await readCapped(file, MAX_CONFIG_BYTES);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      file,
      `cannot read the config file (${
        error instanceof Error ? error.message : error
      }). Check the path given to --config.`,
      undefined,
      { cause: error },
    );
  }
  return { config: parseConfig(text, file), path: file };
}

/** The largest config file read: a config is a few kilobytes; more is a mistake (or `/dev/zero`). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads a file as UTF-8, stopping with a {@linkcode ConfigError} past `max` bytes, whatever the file is. */
async function readCapped(path: string, max: number): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    size += n;
    if (size > max) {
      throw new ConfigError(
        path,
        `the file is over ${max} bytes; a config is a few kilobytes. Check the path given to --config.`,
      );
    }
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

type Node = NonNullable<ReturnType<typeof parseTree>>;

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v) out[k.value as string] = nodeValue(v);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function position(
  text: string,
  offset: number,
): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
