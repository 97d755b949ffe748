/**
 * The time budget of the hook that is running. A synchronous hook cannot
 * be interrupted on the thread it runs on, so the kit's searches spend the
 * budget as they go and throw {@linkcode BudgetExceededError} once it is
 * spent; the dispatcher then drops that hook's work for the event and
 * notes why. A plugin of your own with a long loop can call
 * {@linkcode spendBudget} in it likewise.
 *
 * @module
 */

/**
 * Thrown by {@linkcode spendBudget} when the running hook has used up its
 * time budget; the dispatcher catches it.
 */
export class BudgetExceededError extends Error {
  /** How long the hook had, in milliseconds. */
  readonly budgetMs: number;

  /** Creates the error for a hook that had `budgetMs`. */
  constructor(budgetMs: number) {
    super(
      `exceeded its budget of ${budgetMs} ms; its work on this event was dropped`,
    );
    this.name = "BudgetExceededError";
    this.budgetMs = budgetMs;
  }
}

/** The running work's budget in milliseconds; Infinity outside a budget. */
let budgetMs = Infinity;
/**
 * When the clock was first read in it: the budget counts from there, so
 * work that never reads the clock (most events: a few short searches)
 * costs no read of it at all.
 */
let started: number | undefined;

/**
 * Throws {@linkcode BudgetExceededError} when the running work's budget is
 * spent; does nothing outside a budget. It reads the clock (about 0.1 µs),
 * so call it once per unit of work that can be long (a search of a long
 * text, a batch of short ones), not per character. The budget counts from
 * the first call.
 *
 * @example
 * ```ts
 * import { BudgetExceededError, spendBudget, withBudget } from "./budget.ts";
 * import assert from "node:assert/strict";
 *
 * spendBudget(); // Outside a budget: nothing to exceed.
 * assert.throws(() => withBudget(1, () => {
 *   const end = performance.now() + 5;
 *   while (performance.now() < end) spendBudget();
 * }), BudgetExceededError);
 * ```
 */
export function spendBudget(): void {
  if (budgetMs === Infinity) return;
  const now = performance.now();
  if (started === undefined) started = now;
  else if (now - started > budgetMs) throw new BudgetExceededError(budgetMs);
}

/**
 * Runs `work` with a budget of `ms` milliseconds for
 * {@linkcode spendBudget} to check; the budget in force before is restored
 * after (a nested budget cannot outlast the outer one's clock). Used by
 * the pipeline around each event's synchronous hooks and its redaction.
 *
 * @example
 * ```ts
 * import { withBudget } from "./budget.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(withBudget(100, () => 42), 42);
 * ```
 */
export function withBudget<T>(ms: number, work: () => T): T {
  const outerMs = budgetMs;
  const outerStarted = started;
  if (outerMs === Infinity) {
    budgetMs = ms;
    started = undefined;
  }
  try {
    return work();
  } finally {
    budgetMs = outerMs;
    started = outerStarted;
  }
}
