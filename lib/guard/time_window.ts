/**
 * Time windows of policy rules: an absolute freeze (`from`/`to`, wall
 * clock in a time zone unless they carry an offset) and weekly windows
 * ("weekdays 09:00-18:00 Europe/Berlin"), read with `Intl` so that daylight
 * saving time is the zone's own.
 *
 * @module
 */
import type { TimeWindow } from "./policy.ts";

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY_SETS: Record<string, string[]> = {
  weekdays: ["mon", "tue", "wed", "thu", "fri"],
  weekends: ["sat", "sun"],
  daily: DAY_NAMES,
};

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock at `time` in `timeZone`: `YYYY-MM-DDTHH:MM:SS` and the weekday. */
function wallClock(
  time: Date,
  timeZone: string,
): { text: string; day: string } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    formats.set(timeZone, format);
  }
  const p: Record<string, string> = {};
  for (const part of format.formatToParts(time)) p[part.type] = part.value;
  return {
    text: `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`,
    day: p.weekday.slice(0, 3).toLowerCase(),
  };
}

/**
 * Reads the shorthand `"weekdays 09:00-18:00 Europe/Berlin"` (days, hours,
 * zone; each part optional) into a {@linkcode TimeWindow}. Throws
 * `RangeError` for a part it cannot read.
 *
 * @example
 * ```ts
 * import { parseWindow } from "./time_window.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseWindow("weekdays 09:00-18:00 Europe/Berlin"), { days: "weekdays", hours: "09:00-18:00", timeZone: "Europe/Berlin" });
 * ```
 */
export function parseWindow(text: string): TimeWindow {
  const window: TimeWindow = {};
  for (const word of text.trim().split(/\s+/)) {
    const lower = word.toLowerCase();
    if (lower === "outside") window.outside = true;
    else if (DAY_SETS[lower]) window.days = lower;
    else if (
      /^(sun|mon|tue|wed|thu|fri|sat)(,(sun|mon|tue|wed|thu|fri|sat))*$/.test(
        lower,
      )
    ) {
      window.days = lower.split(",");
    } else if (/^\d\d:\d\d-\d\d:\d\d$/.test(word)) window.hours = word;
    else if (validZone(word)) window.timeZone = word;
    else {
      throw new RangeError(
        `cannot read "${word}" in the time window "${text}": write days (weekdays, weekends, daily, mon,tue,...), hours HH:MM-HH:MM and an IANA time zone such as Europe/Berlin`,
      );
    }
  }
  return window;
}

/** Whether `zone` is a time zone `Intl` knows. */
export function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A `from`/`to` bound as wall-clock text (`YYYY-MM-DDTHH:MM:SS`), or an instant when it has an offset. */
function bound(value: string, zone: string, time: Date): number {
  if (/(Z|[+-]\d\d:?\d\d)$/i.test(value)) {
    return Math.sign(time.getTime() - Date.parse(value));
  }
  const wall = wallClock(time, zone).text;
  const full = value.length === 10
    ? `${value}T00:00:00`
    : value.length === 16
    ? `${value}:00`
    : value.slice(0, 19);
  return wall < full ? -1 : wall > full ? 1 : 0;
}

/**
 * Whether `time` falls in `window`.
 *
 * @example A code freeze and business hours
 * ```ts
 * import { inWindow } from "./time_window.ts";
 * import assert from "node:assert/strict";
 *
 * const freeze = { from: "2026-12-20", to: "2027-01-04", timeZone: "Europe/Berlin" };
 * assert.equal(inWindow(freeze, new Date("2026-12-24T12:00:00Z")), true);
 * assert.equal(inWindow(freeze, new Date("2027-01-03T23:30:00Z")), false); // 00:30 on the 4th in Berlin
 * const office = { days: "weekdays", hours: "09:00-18:00", timeZone: "Europe/Berlin" };
 * assert.equal(inWindow(office, new Date("2026-12-02T08:30:00Z")), true); // Wednesday 09:30
 * assert.equal(inWindow(office, new Date("2026-12-05T10:00:00Z")), false); // Saturday
 * ```
 */
export function inWindow(window: TimeWindow, time: Date): boolean {
  const zone = window.timeZone ?? "UTC";
  let inside = true;
  if (window.from !== undefined && bound(window.from, zone, time) < 0) {
    inside = false;
  }
  if (window.to !== undefined && bound(window.to, zone, time) >= 0) {
    inside = false;
  }
  if (inside && (window.days !== undefined || window.hours !== undefined)) {
    const { text, day } = wallClock(time, zone);
    if (window.days !== undefined) {
      const days = typeof window.days === "string"
        ? DAY_SETS[window.days.toLowerCase()] ??
          window.days.toLowerCase().split(",")
        : window.days.map((d) => d.toLowerCase().slice(0, 3));
      if (!days.includes(day)) inside = false;
    }
    if (inside && window.hours !== undefined) {
      const [start, end] = window.hours.split("-");
      const now = text.slice(11, 16);
      inside = start <= end
        ? now >= start && now < end
        : now >= start || now < end;
    }
  }
  return window.outside ? !inside : inside;
}
