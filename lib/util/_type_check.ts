/**
 * Compile-time checks that a zod schema and the interface it is typed as
 * agree: the interfaces are the documented public types, the schemas validate
 * them, and neither may drift from the other.
 *
 * @module
 */

/** `true` when `A` and `B` are the same type, not merely assignable one way. */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;

/** Compiles only when `T` is `true`: `type _ = Assert<Equals<A, B>>`. */
export type Assert<T extends true> = T;
