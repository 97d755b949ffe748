/**
 * What a shell command line does, read with a real shell parser
 * (`@ericcornelissen/bash-parser`, a maintained fork of `bash-parser`), not
 * a regex: every simple command in pipes, `&&`/`||` chains, `;` lists,
 * subshells, `$(...)` and backticks, and, parsed again, in `sh -c '...'`,
 * `bash -c`, `eval`, `ssh host '...'` strings and in heredocs fed to a
 * shell. SQL given to `psql`, `mysql`, `sqlite3` and `clickhouse-client`
 * (by `-c`/`-e`/`--query` or a heredoc) is read statement by statement.
 * The result: the commands, the classes (`DESTRUCTIVE`, `WRITE`,
 * `OPEN_WORLD`), why, and the paths and hosts touched.
 *
 * @module
 */
import bashParse from "@ericcornelissen/bash-parser";

/** What {@linkcode readShellCommand} found in a command line. */
export interface ShellReading {
  /** Each simple command's words, in order, nested ones included. */
  commands: string[][];
  /** `DESTRUCTIVE`, `WRITE`, `OPEN_WORLD`. */
  classes: string[];
  /** One sentence per finding, e.g. `rm -rf /srv/app deletes recursively`. */
  reasons: string[];
  /** Paths that commands remove or write. */
  paths: string[];
  /** Hosts that commands reach. */
  hosts: string[];
  /** Set when the line (or a nested string) could not be parsed. */
  parseError?: string;
}

interface Node {
  type?: string;
  text?: string;
  [key: string]: unknown;
}

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "ash", "fish"]);
/** Commands that run the rest of their words as a command. */
const WRAPPERS = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "time",
  "nice",
  "ionice",
  "exec",
  "command",
  "builtin",
  "xargs",
  "watch",
  "timeout",
  "stdbuf",
]);
const SQL_CLIENTS = new Set([
  "psql",
  "mysql",
  "mariadb",
  "sqlite3",
  "clickhouse-client",
  "clickhouse",
  "cockroach",
  "duckdb",
]);
/** Nesting of `sh -c` in `sh -c` read at most. */
const MAX_DEPTH = 8;

/**
 * Reads a shell command line: its commands, classes and what they touch.
 *
 * @example A deletion hidden in a chain and one in `sh -c`
 * ```ts
 * import { readShellCommand } from "./shell_command.ts";
 * import assert from "node:assert/strict";
 *
 * const r = readShellCommand("cd /srv && sh -c 'rm -rf /srv/app' | tee log");
 * assert.ok(r.classes.includes("DESTRUCTIVE"));
 * assert.ok(r.paths.includes("/srv/app"));
 * ```
 */
export function readShellCommand(line: string): ShellReading {
  const reading: ShellReading = {
    commands: [],
    classes: [],
    reasons: [],
    paths: [],
    hosts: [],
  };
  readScript(line, reading, 0);
  reading.classes = [...new Set(reading.classes)];
  reading.paths = [...new Set(reading.paths)];
  reading.hosts = [...new Set(reading.hosts)];
  return reading;
}

interface Heredoc {
  body: string;
}

/**
 * Cuts heredoc bodies out of a script before it is parsed (the parser has
 * no heredocs: it would read their lines as commands) and returns them in
 * order: the commands with a `<<` redirect take them in that order.
 */
function cutHeredocs(script: string): { rest: string; bodies: Heredoc[] } {
  const lines = script.split("\n");
  const out: string[] = [];
  const bodies: Heredoc[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const opener = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
    const delimiters: { word: string; tabs: boolean }[] = [];
    for (const m of lines[i].matchAll(opener)) {
      delimiters.push({ word: m[3], tabs: m[1] === "-" });
    }
    for (const { word, tabs } of delimiters) {
      const body: string[] = [];
      for (i++; i < lines.length; i++) {
        const text = tabs ? lines[i].replace(/^\t+/, "") : lines[i];
        if (text === word) break;
        body.push(lines[i]);
      }
      bodies.push({ body: body.join("\n") });
    }
  }
  return { rest: out.join("\n"), bodies };
}

function readScript(
  script: string,
  reading: ShellReading,
  depth: number,
): void {
  if (depth > MAX_DEPTH) return;
  const { rest, bodies } = cutHeredocs(script);
  let ast: Node;
  try {
    ast = (bashParse as unknown as (s: string) => Node)(rest);
  } catch (error) {
    reading.parseError ??= `the shell command could not be parsed (${
      (error as Error).message
    })`;
    return;
  }
  walk(ast, (command) => {
    const words = wordsOf(command);
    const heredoc = hasHeredoc(command) ? bodies.shift()?.body : undefined;
    if (words.length > 0) readCommand(words, heredoc, reading, depth);
  });
}

/** Visits every `Command` node, nested command substitutions included. */
function walk(node: unknown, visit: (command: Node) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Node;
  if (n.type === "Command") visit(n);
  for (const key of Object.keys(n)) {
    if (key === "loc") continue;
    walk(n[key], visit);
  }
}

function wordsOf(command: Node): string[] {
  const words: string[] = [];
  const name = command.name as Node | undefined;
  if (name?.text !== undefined) words.push(name.text);
  for (const part of (command.suffix as Node[] | undefined) ?? []) {
    if (part.type === "Word" && part.text !== undefined) words.push(part.text);
  }
  return words;
}

function hasHeredoc(command: Node): boolean {
  const parts = [
    ...((command.prefix as Node[] | undefined) ?? []),
    ...((command.suffix as Node[] | undefined) ?? []),
  ];
  return parts.some((p) =>
    p.type === "dless" || p.type === "dlessdash" ||
    (p.type === "Redirect" && /^<<-?$/.test(String((p.op as Node)?.text)))
  );
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}

function readCommand(
  words: string[],
  stdin: string | undefined,
  reading: ShellReading,
  depth: number,
): void {
  // Assignments and wrappers before the command: `FOO=1 sudo -u x rm ...`.
  let at = 0;
  while (at < words.length) {
    const word = words[at];
    const name = basename(word);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) at++;
    else if (WRAPPERS.has(name)) {
      at++;
      while (at < words.length && /^-/.test(words[at])) {
        // `sudo -u user`, `timeout -s KILL`: an option that takes a value.
        if (/^-[ugsnkCpD]$/.test(words[at])) at++;
        at++;
      }
      if (name === "timeout" && /^\d/.test(words[at] ?? "")) at++;
    } else break;
  }
  const argv = words.slice(at);
  if (argv.length === 0) return;
  reading.commands.push(argv);
  const name = basename(argv[0]);
  const args = argv.slice(1);
  if (SHELLS.has(name)) {
    const c = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
    if (c >= 0 && args[c + 1] !== undefined) {
      readScript(args[c + 1], reading, depth + 1);
    } else if (stdin !== undefined) readScript(stdin, reading, depth + 1);
    return;
  }
  if (name === "eval") return readScript(args.join(" "), reading, depth + 1);
  if (name === "ssh") {
    const rest = args.filter((a) => !a.startsWith("-"));
    if (rest[0]) reading.hosts.push(rest[0].replace(/^.*@/, ""));
    if (rest.length > 1) {
      readScript(rest.slice(1).join(" "), reading, depth + 1);
    }
    reading.classes.push("OPEN_WORLD");
    return;
  }
  if (SQL_CLIENTS.has(name)) return readSqlClient(name, args, stdin, reading);
  readProgram(name, args, argv, reading);
}

function flagSet(args: string[]): Set<string> {
  const flags = new Set<string>();
  for (const a of args) {
    if (a === "--") break;
    if (a.startsWith("--")) flags.add(a.split("=")[0]);
    else if (a.startsWith("-") && a.length > 1) {
      for (const ch of a.slice(1)) flags.add(`-${ch}`);
    }
  }
  return flags;
}

function destructive(reading: ShellReading, reason: string): void {
  reading.classes.push("DESTRUCTIVE", "WRITE");
  reading.reasons.push(reason);
}

function readProgram(
  name: string,
  args: string[],
  argv: string[],
  reading: ShellReading,
): void {
  const flags = flagSet(args);
  const operands = args.filter((a) => !a.startsWith("-"));
  const shown = argv.join(" ");
  switch (name) {
    case "rm": {
      reading.paths.push(...operands);
      const recursive = flags.has("-r") || flags.has("-R") ||
        flags.has("--recursive");
      if (recursive) destructive(reading, `${shown} deletes recursively`);
      else reading.classes.push("WRITE");
      return;
    }
    case "shred":
    case "mkfs":
    case "wipefs":
      reading.paths.push(...operands);
      return destructive(reading, `${shown} destroys data`);
    case "dd": {
      const of = args.find((a) => a.startsWith("of="));
      if (of) {
        reading.paths.push(of.slice(3));
        destructive(reading, `${shown} overwrites ${of.slice(3)}`);
      }
      return;
    }
    case "git": {
      const sub = operands[0];
      if (sub === "push") {
        const forced = flags.has("--force") || flags.has("-f") ||
          flags.has("--force-with-lease") || flags.has("--mirror") ||
          flags.has("--delete") || operands.some((o) => o.startsWith("+"));
        if (forced) destructive(reading, `${shown} rewrites remote history`);
        else reading.classes.push("WRITE");
        reading.classes.push("OPEN_WORLD");
      } else if (sub === "reset" && flags.has("--hard")) {
        destructive(reading, `${shown} discards local changes`);
      } else if (sub === "clean" && (flags.has("-f") || flags.has("--force"))) {
        destructive(reading, `${shown} deletes untracked files`);
      } else if (sub === "branch" && flags.has("-D")) {
        destructive(reading, `${shown} deletes a branch`);
      } else if (
        ["commit", "merge", "rebase", "checkout", "add", "rm", "mv"].includes(
          sub ?? "",
        )
      ) reading.classes.push("WRITE");
      return;
    }
    case "kubectl":
    case "oc": {
      const sub = operands[0];
      if (sub === "delete" || sub === "drain") {
        destructive(reading, `${shown} deletes cluster resources`);
      } else if (
        ["apply", "create", "patch", "replace", "scale", "edit", "rollout"]
          .includes(sub ?? "")
      ) reading.classes.push("WRITE");
      return;
    }
    case "helm":
      if (["uninstall", "delete"].includes(operands[0] ?? "")) {
        destructive(reading, `${shown} removes a release`);
      }
      return;
    case "terraform":
    case "tofu": {
      const sub = operands[0];
      if (sub === "destroy" || (sub === "apply" && args.includes("-destroy"))) {
        destructive(reading, `${shown} destroys infrastructure`);
      } else if (sub === "apply" || sub === "import") {
        reading.classes.push("WRITE");
      }
      return;
    }
    case "curl":
    case "wget":
    case "http":
    case "nc":
    case "scp":
    case "rsync":
      for (const a of operands) {
        const host = hostOf(a);
        if (host) reading.hosts.push(host);
      }
      reading.classes.push("OPEN_WORLD");
      return;
    case "mv":
    case "cp":
    case "tee":
    case "touch":
    case "mkdir":
    case "chmod":
    case "chown":
    case "truncate":
      reading.paths.push(...operands.slice(name === "chmod" ? 1 : 0));
      reading.classes.push("WRITE");
      return;
  }
}

/** The host of a URL or `host:path` operand, when it names one. */
function hostOf(word: string): string | undefined {
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(word)) return new URL(word).hostname;
  } catch {
    return undefined;
  }
  const scp = /^(?:[^@/\s]+@)?([A-Za-z0-9.-]+\.[A-Za-z]{2,}):/.exec(word);
  return scp?.[1];
}

/** Options of the SQL clients that take a query as their value. */
const QUERY_OPTIONS = new Set([
  "-c",
  "--command",
  "-e",
  "--execute",
  "-q",
  "--query",
]);

function readSqlClient(
  name: string,
  args: string[],
  stdin: string | undefined,
  reading: ShellReading,
): void {
  const queries: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0 && QUERY_OPTIONS.has(a.slice(0, eq))) {
      queries.push(a.slice(eq + 1));
    } else if (QUERY_OPTIONS.has(a) && args[i + 1] !== undefined) {
      queries.push(args[++i]);
    } else if (/^-[a-zA-Z]*[ce]$/.test(a) && args[i + 1] !== undefined) {
      // `-Ae`, `-Xc`: bundled flags ending in the query option.
      queries.push(args[++i]);
    }
  }
  // sqlite3 and duckdb take SQL as the operand after the database file.
  if (name === "sqlite3" || name === "duckdb") {
    const operands = args.filter((a) => !a.startsWith("-"));
    queries.push(...operands.slice(1));
  }
  if (stdin !== undefined) queries.push(stdin);
  for (const sql of queries) readSql(sql, `${name}`, reading);
}

/**
 * The statements of SQL text by their first keywords, with comments and
 * quoted text (strings, quoted names, dollar quotes) skipped, so `'DROP'`
 * in a string is not a statement.
 */
function statements(sql: string): string[][] {
  const out: string[][] = [];
  let words: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      const end = sql.indexOf(ch, i + 1);
      i = end < 0 ? sql.length : end + 1;
      words.push("?");
    } else if (ch === "$" && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
      words.push("?");
    } else if (ch === ";") {
      if (words.length) out.push(words);
      words = [];
      i++;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      words.push(m[0].toUpperCase());
      i += m[0].length;
    } else i++;
  }
  if (words.length) out.push(words);
  return out;
}

function readSql(sql: string, client: string, reading: ShellReading): void {
  for (const words of statements(sql)) {
    const [verb, object] = words;
    if (verb === "DROP" || verb === "TRUNCATE") {
      destructive(
        reading,
        `${client} runs ${verb}${object && object !== "?" ? ` ${object}` : ""}`,
      );
    } else if (verb === "DELETE" && !words.includes("WHERE")) {
      destructive(reading, `${client} runs DELETE without WHERE`);
    } else if (
      ["DELETE", "UPDATE", "INSERT", "ALTER", "CREATE", "GRANT", "REVOKE"]
        .includes(verb)
    ) reading.classes.push("WRITE");
  }
}
