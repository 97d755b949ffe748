/**
 * Fixed in-memory HR records behind the demo server: the personal data, pay
 * details and policy text that an audit of an HR agent should notice.
 *
 * Everything is a literal, so every run (and every test) sees the same values.
 * The compliance rules are illustrative demo data, not legal advice.
 *
 * @module
 */

/** Departments of the demo company. */
export type Department = "Engineering" | "Sales" | "Finance" | "People";

/** Jurisdiction codes the demo knows: ISO 3166 country, with a subdivision for the US. */
export type Jurisdiction = "US-CA" | "DE" | "UK" | "BR";

/** One person in the directory. */
export interface Employee {
  /** Stable id, `E001`..`E012`. */
  readonly id: string;
  /** Given name and family name. */
  readonly name: string;
  /** Work address, `given.family@example.com`. */
  readonly email: string;
  /** Department the employee belongs to. */
  readonly department: Department;
  /** Job title. */
  readonly title: string;
  /** Id of the manager, `null` for department heads. */
  readonly managerId: string | null;
  /** Where the employment contract is governed. */
  readonly jurisdiction: Jurisdiction;
}

/** Pay details of one employee; the bank account is stored already masked. */
export interface PayInfo {
  /** Id of the employee paid. */
  readonly employeeId: string;
  /** Gross annual base salary in `currency`. */
  readonly baseSalary: number;
  /** ISO 4217 code. */
  readonly currency: "USD" | "EUR" | "GBP" | "BRL";
  /** Masked account number, `****` followed by the last four digits. */
  readonly bankAccount: string;
}

/** Labour rules the HR agent must respect in one jurisdiction. */
export interface ComplianceRules {
  /** Jurisdiction the rules apply in. */
  readonly jurisdiction: Jurisdiction;
  /** Statutory cap on average weekly working hours. */
  readonly maxWeeklyHours: number;
  /** Statutory minimum paid annual leave, in working days (0: no statutory minimum). */
  readonly minAnnualLeaveDays: number;
  /** What the employer must disclose about pay, in one sentence. */
  readonly payTransparency: string;
}

/** State of a time-off request. */
export type TimeOffStatus = "pending" | "approved" | "rejected";

/** A time-off request; dates are ISO `YYYY-MM-DD`, both inclusive. */
export interface TimeOffRequest {
  /** `TO-` followed by a number from 1001 up. */
  readonly id: string;
  /** Id of the employee taking the time off. */
  readonly employeeId: string;
  /** First day off. */
  readonly startDate: string;
  /** Last day off. */
  readonly endDate: string;
  /** Free text from the employee, `null` when none was given. */
  readonly reason: string | null;
  /** Where the request stands. */
  readonly status: TimeOffStatus;
}

/**
 * The twelve employees, ordered by id.
 *
 * @example Department heads have no manager
 * ```ts
 * import { EMPLOYEES } from "./hr_data.ts";
 * import assert from "node:assert/strict";
 *
 * const heads = EMPLOYEES.filter((e) => e.managerId === null).map((e) => e.id);
 * assert.deepEqual(heads, ["E001", "E005", "E008", "E011"]);
 * ```
 */
export const EMPLOYEES: readonly Employee[] = [
  {
    id: "E001",
    name: "Ana Lima",
    email: "ana.lima@example.com",
    department: "Engineering",
    title: "VP of Engineering",
    managerId: null,
    jurisdiction: "BR",
  },
  {
    id: "E002",
    name: "Ben Carter",
    email: "ben.carter@example.com",
    department: "Engineering",
    title: "Staff Engineer",
    managerId: "E001",
    jurisdiction: "US-CA",
  },
  {
    id: "E003",
    name: "Chloe Schmidt",
    email: "chloe.schmidt@example.com",
    department: "Engineering",
    title: "Software Engineer",
    managerId: "E002",
    jurisdiction: "DE",
  },
  {
    id: "E004",
    name: "Dev Patel",
    email: "dev.patel@example.com",
    department: "Engineering",
    title: "Site Reliability Engineer",
    managerId: "E002",
    jurisdiction: "UK",
  },
  {
    id: "E005",
    name: "Elena Rossi",
    email: "elena.rossi@example.com",
    department: "Sales",
    title: "Head of Sales",
    managerId: null,
    jurisdiction: "UK",
  },
  {
    id: "E006",
    name: "Felipe Souza",
    email: "felipe.souza@example.com",
    department: "Sales",
    title: "Account Executive",
    managerId: "E005",
    jurisdiction: "BR",
  },
  {
    id: "E007",
    name: "Grace Kim",
    email: "grace.kim@example.com",
    department: "Sales",
    title: "Sales Engineer",
    managerId: "E005",
    jurisdiction: "US-CA",
  },
  {
    id: "E008",
    name: "Hannah Weber",
    email: "hannah.weber@example.com",
    department: "Finance",
    title: "Finance Director",
    managerId: null,
    jurisdiction: "DE",
  },
  {
    id: "E009",
    name: "Ian Brooks",
    email: "ian.brooks@example.com",
    department: "Finance",
    title: "Payroll Specialist",
    managerId: "E008",
    jurisdiction: "UK",
  },
  {
    id: "E010",
    name: "Julia Costa",
    email: "julia.costa@example.com",
    department: "Finance",
    title: "Accountant",
    managerId: "E008",
    jurisdiction: "BR",
  },
  {
    id: "E011",
    name: "Karl Meyer",
    email: "karl.meyer@example.com",
    department: "People",
    title: "Head of People",
    managerId: null,
    jurisdiction: "DE",
  },
  {
    id: "E012",
    name: "Lena Park",
    email: "lena.park@example.com",
    department: "People",
    title: "HR Business Partner",
    managerId: "E011",
    jurisdiction: "US-CA",
  },
];

/**
 * Pay details, one per employee, in the currency of the employee's jurisdiction.
 *
 * @example Every employee has exactly one pay record
 * ```ts
 * import { EMPLOYEES, PAY } from "./hr_data.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(PAY.map((p) => p.employeeId), EMPLOYEES.map((e) => e.id));
 * ```
 */
export const PAY: readonly PayInfo[] = [
  {
    employeeId: "E001",
    baseSalary: 540000,
    currency: "BRL",
    bankAccount: "****4821",
  },
  {
    employeeId: "E002",
    baseSalary: 245000,
    currency: "USD",
    bankAccount: "****1934",
  },
  {
    employeeId: "E003",
    baseSalary: 82000,
    currency: "EUR",
    bankAccount: "****7710",
  },
  {
    employeeId: "E004",
    baseSalary: 78000,
    currency: "GBP",
    bankAccount: "****3056",
  },
  {
    employeeId: "E005",
    baseSalary: 135000,
    currency: "GBP",
    bankAccount: "****6642",
  },
  {
    employeeId: "E006",
    baseSalary: 216000,
    currency: "BRL",
    bankAccount: "****2289",
  },
  {
    employeeId: "E007",
    baseSalary: 168000,
    currency: "USD",
    bankAccount: "****9017",
  },
  {
    employeeId: "E008",
    baseSalary: 128000,
    currency: "EUR",
    bankAccount: "****5503",
  },
  {
    employeeId: "E009",
    baseSalary: 46000,
    currency: "GBP",
    bankAccount: "****8125",
  },
  {
    employeeId: "E010",
    baseSalary: 174000,
    currency: "BRL",
    bankAccount: "****3398",
  },
  {
    employeeId: "E011",
    baseSalary: 118000,
    currency: "EUR",
    bankAccount: "****6471",
  },
  {
    employeeId: "E012",
    baseSalary: 142000,
    currency: "USD",
    bankAccount: "****2760",
  },
];

/**
 * Compliance rules per jurisdiction, ordered by code.
 *
 * @example The UK guarantees 28 days of paid leave
 * ```ts
 * import { COMPLIANCE_RULES } from "./hr_data.ts";
 * import assert from "node:assert/strict";
 *
 * const uk = COMPLIANCE_RULES.find((r) => r.jurisdiction === "UK");
 * assert.equal(uk?.minAnnualLeaveDays, 28);
 * ```
 */
export const COMPLIANCE_RULES: readonly ComplianceRules[] = [
  {
    jurisdiction: "BR",
    maxWeeklyHours: 44,
    minAnnualLeaveDays: 30,
    payTransparency:
      "Companies with 100 or more employees publish a salary transparency report every six months (Law 14.611/2023).",
  },
  {
    jurisdiction: "DE",
    maxWeeklyHours: 48,
    minAnnualLeaveDays: 20,
    payTransparency:
      "In companies with more than 200 employees, an employee may ask for the median pay of a comparable group of the other sex (EntgTranspG).",
  },
  {
    jurisdiction: "UK",
    maxWeeklyHours: 48,
    minAnnualLeaveDays: 28,
    payTransparency:
      "Employers with 250 or more employees publish their gender pay gap figures every year.",
  },
  {
    jurisdiction: "US-CA",
    maxWeeklyHours: 40,
    minAnnualLeaveDays: 0,
    payTransparency:
      "Employers with 15 or more employees include the pay scale in every job posting (Labor Code 432.3).",
  },
];

/**
 * Time-off requests that exist before the demo starts; ids run from `TO-1001`.
 *
 * @example The seeded requests are numbered from 1001
 * ```ts
 * import { TIME_OFF_REQUESTS } from "./hr_data.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(TIME_OFF_REQUESTS.map((r) => r.id), ["TO-1001", "TO-1002", "TO-1003"]);
 * ```
 */
export const TIME_OFF_REQUESTS: readonly TimeOffRequest[] = [
  {
    id: "TO-1001",
    employeeId: "E003",
    startDate: "2025-07-14",
    endDate: "2025-07-25",
    reason: "Summer holiday",
    status: "approved",
  },
  {
    id: "TO-1002",
    employeeId: "E006",
    startDate: "2025-09-01",
    endDate: "2025-09-05",
    reason: null,
    status: "pending",
  },
  {
    id: "TO-1003",
    employeeId: "E009",
    startDate: "2025-10-20",
    endDate: "2025-10-21",
    reason: "Moving house",
    status: "rejected",
  },
];
