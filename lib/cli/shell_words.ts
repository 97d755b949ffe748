/**
 * Splits a command line the way a POSIX shell would for a simple command:
 * whitespace separates words; single quotes keep everything literally;
 * double quotes keep spaces and allow `\"`, `\\`, `\$` and `` \` ``; a
 * backslash outside quotes escapes the next character. This serves the
 * predecessor's `--server "<command line>"` flag.
 *
 * @module
 */

/** The command line has an unclosed quote or a trailing backslash. */
export class ShellWordsError extends SyntaxError {
  /** Creates the error for `line`. */
  constructor(line: string, problem: string) {
    super(
      `Cannot split the server command line ${
        JSON.stringify(line)
      }: ${problem}. Close the quote, or pass the command after "--" instead.`,
    );
    this.name = "ShellWordsError";
  }
}

/**
 * Splits `line` into words.
 *
 * @example
 * ```ts
 * import { splitShellWords } from "./shell_words.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   splitShellWords(`python "my server.py" --name 'a b' c\\ d`),
 *   ["python", "my server.py", "--name", "a b", "c d"],
 * );
 * ```
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) {
        throw new ShellWordsError(line, "a single quote is not closed");
      }
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const c = line[i];
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (
          c === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])
        ) {
          if (line[i + 1] !== "\n") word += line[i + 1];
          i += 2;
          continue;
        }
        word += c;
        i++;
      }
      if (!closed) {
        throw new ShellWordsError(line, "a double quote is not closed");
      }
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 >= line.length) {
        throw new ShellWordsError(line, "it ends with a backslash");
      }
      if (line[i + 1] !== "\n") word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
