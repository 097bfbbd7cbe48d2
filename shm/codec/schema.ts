// Runs on: any thread. Declaring record schemas for the typed codec (shm/codec/typed.ts).
//
//   const bid = recordSchema({ auction: 'i64', channel: 'string', note: optional('string') });
//   type Bid = Infer<typeof bid>;   // { auction: number; channel: string; note?: string | undefined }
//
// A field is declared by its type name, by `optional(type)`, or by `{ type, optional? }`.
// Field order is declaration order and is part of the wire format: reordering fields changes the
// codec's fingerprint and its bytes.

import { InvalidArgumentError } from '../errors.js';

/**
 * Whether an 'f32' field holds number `x`: NaN, ±Infinity, or a finite number within float32's range (rounded on
 * store); a finite one beyond it would become Infinity. The typed codec and typed state both check it.
 */
export function f32Holds(x: number): boolean {
  return x - x !== 0 || Math.fround(x) - Math.fround(x) === 0;
}

/** `f32Holds` as JS source over the variable `v`, for generated code. */
export function f32HoldsSource(v: string): string {
  return `(${v} - ${v} !== 0 || Math.fround(${v}) - Math.fround(${v}) === 0)`;
}

/** Every field type a record schema can declare. */
export const FIELD_TYPES = ['i32', 'u32', 'i64', 'f64', 'f32', 'bool', 'timestamp', 'string'] as const;

/**
 * - 'i32' / 'u32': integers in the 32-bit signed / unsigned range.
 * - 'i64': a safe integer (|v| <= 2^53 - 1), stored as 64 bits; JS numbers cannot hold more exactly.
 * - 'f64': any number, NaN and ±Infinity included. 'f32': NaN, ±Infinity, or a finite number within
 *   float32's range, rounded to the nearest float32 on encode (as a Float32Array store does), so values outside
 *   float32 precision do not round-trip; a finite number beyond the range is refused (it would become Infinity).
 * - 'bool': true / false.
 * - 'timestamp': epoch milliseconds as a safe integer, stored like 'i64'.
 * - 'string': any string, stored as UTF-8; lone surrogates are stored as U+FFFD.
 */
export type FieldType = (typeof FIELD_TYPES)[number];

/** The long form of a field declaration. */
export interface FieldSpec<K extends FieldType = FieldType> {
  readonly type: K;
  readonly optional?: boolean;
}

/** What a schema declaration may give for one field. */
export type FieldDecl = FieldType | FieldSpec;

/** A field declared with `optional(type)`. */
export interface OptionalField<K extends FieldType = FieldType> extends FieldSpec<K> {
  readonly optional: true;
}

/** Marks a field as optional: it may be absent (undefined) in a record. */
export function optional<K extends FieldType>(type: K): OptionalField<K> {
  return Object.freeze({ type, optional: true as const });
}

/** One field of a validated schema. */
export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly optional: boolean;
  /** Position in declaration order. */
  readonly index: number;
}

// Carries the record type on the schema object only at the type level.
declare const recordType: unique symbol;

export interface RecordSchema<T> {
  /** The fields in declaration order (wire order). */
  readonly fields: readonly FieldDef[];
  /** Type-level only: never present at run time. */
  readonly [recordType]?: T;
}

/** The record type a schema describes. */
export type Infer<S> = S extends RecordSchema<infer T> ? T : never;

type ValueOf<K> = K extends 'string' ? string : K extends 'bool' ? boolean : K extends FieldType ? number : never;
type DeclType<D> = D extends FieldType ? D : D extends { readonly type: infer K } ? K : never;
// `optional: boolean` (not a literal) counts as optional: the reader must expect undefined.
type IsOptional<D> = D extends FieldType ? false
  : D extends { readonly optional?: infer O } ? ([O] extends [false | undefined] ? false : true)
  : false;
type RequiredKeys<D> = { [K in keyof D]: IsOptional<D[K]> extends true ? never : K }[keyof D];
type OptionalKeys<D> = { [K in keyof D]: IsOptional<D[K]> extends true ? K : never }[keyof D];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The record type of a field declaration object. */
export type InferFields<D> = Simplify<
  { -readonly [K in RequiredKeys<D>]: ValueOf<DeclType<D[K]>> } &
  { -readonly [K in OptionalKeys<D>]?: ValueOf<DeclType<D[K]>> | undefined }
>;

// Identifiers only: integer-like keys would be reordered by JS (breaking declaration order = wire
// order), and identifier names are safe to use as property names everywhere, generated code included.
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const TYPE_SET: ReadonlySet<string> = new Set(FIELD_TYPES);
const SPEC_KEYS: ReadonlySet<string> = new Set(['type', 'optional']);

/**
 * Declares a record schema. Throws InvalidArgumentError (naming the field) for an empty declaration,
 * a field name that is not an identifier, an unknown type or a malformed field declaration.
 */
export function recordSchema<const D extends Readonly<Record<string, FieldDecl>>>(fields: D): RecordSchema<InferFields<D>> {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new InvalidArgumentError('recordSchema: expected an object mapping field names to field types');
  }
  if (Object.getOwnPropertySymbols(fields).length > 0) {
    throw new InvalidArgumentError('recordSchema: field names must be strings, not symbols');
  }
  const names = Object.keys(fields);
  if (names.length === 0) throw new InvalidArgumentError('recordSchema: a record schema needs at least one field');
  const defs: FieldDef[] = [];
  for (const name of names) {
    if (!FIELD_NAME.test(name)) {
      throw new InvalidArgumentError(
        `recordSchema: field name ${JSON.stringify(name)} is not an identifier (letters, digits, '_', '$'; not starting with a digit)`);
    }
    // A name inherited by every object ('toString', '__proto__', ...) would read as present on values
    // that lack it, and cannot be set as a plain property on decoded records.
    if (name in Object.prototype) {
      throw new InvalidArgumentError(`recordSchema: field name '${name}' is reserved (it is a property of every object)`);
    }
    const decl: unknown = (fields as Record<string, unknown>)[name];
    let type: unknown;
    let isOptional = false;
    if (typeof decl === 'string') {
      type = decl;
    } else if (typeof decl === 'object' && decl !== null && !Array.isArray(decl)) {
      for (const key of Object.keys(decl)) {
        if (!SPEC_KEYS.has(key)) {
          throw new InvalidArgumentError(`recordSchema: field '${name}' has unknown option '${key}' (expected 'type' and 'optional')`);
        }
      }
      const spec = decl as { type?: unknown; optional?: unknown };
      type = spec.type;
      if (spec.optional !== undefined && typeof spec.optional !== 'boolean') {
        throw new InvalidArgumentError(`recordSchema: field '${name}' has a non-boolean 'optional'`);
      }
      isOptional = spec.optional === true;
    } else {
      throw new InvalidArgumentError(`recordSchema: field '${name}' must be declared as a type name or { type, optional }`);
    }
    if (typeof type !== 'string' || !TYPE_SET.has(type)) {
      throw new InvalidArgumentError(
        `recordSchema: field '${name}' has unknown type ${JSON.stringify(type)} (expected one of ${FIELD_TYPES.join(', ')})`);
    }
    defs.push(Object.freeze({ name, type: type as FieldType, optional: isOptional, index: defs.length }));
  }
  return Object.freeze({ fields: Object.freeze(defs) });
}
