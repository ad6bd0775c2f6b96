/**
 * Helpers of the schema-drift tests (models.spec.ts, backtest-models.spec.ts):
 * each wire model lists its required and optional fields; the type checker
 * rejects a list that misses or invents a field of the interface, and
 * {@link expectSameFields} compares the lists with the server's JSON Schema,
 * so drift on either side fails.
 *
 * Not a test file itself (jest runs `*.spec.ts` only); excluded from the
 * library build with the rest of `__tests__`.
 */

type RequiredKeys<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? never : K;
}[keyof T];
type OptionalKeys<T> = Exclude<keyof T, RequiredKeys<T>>;
type Missing<T, L extends readonly PropertyKey[]> = Exclude<keyof T, L[number]>;

/** Required and optional field names of a wire model. */
export interface IFieldLists {
  required: string[];
  optional: string[];
}

/** Field lists of `T`; compiles only when they name every field of `T`. */
export function fieldsOf<T>() {
  return <
    const R extends readonly RequiredKeys<T>[],
    const O extends readonly OptionalKeys<T>[]
  >(
    required: R,
    optional: O,
    ...complete: [Missing<T, [...R, ...O]>] extends [never]
      ? []
      : [{ missing: Missing<T, [...R, ...O]> }]
  ): IFieldLists => ({
    required: [...required].map(String),
    optional: [...optional].map(String)
  });
}

/** The parts of a JSON Schema object the tests look at. */
export interface ISchemaObject {
  required?: string[];
  properties?: Record<string, unknown>;
}

/** The schema's properties are exactly the listed fields, its required ones the required list. */
export function expectSameFields(
  schema: ISchemaObject,
  fields: IFieldLists
): void {
  const properties = Object.keys(schema.properties ?? {}).sort();
  expect([...fields.required, ...fields.optional].sort()).toEqual(properties);
  expect([...fields.required].sort()).toEqual(
    [...(schema.required ?? [])].sort()
  );
}

/** The sub-schema at `path` (each step must exist). */
export function sub(
  schema: unknown,
  ...path: (string | number)[]
): ISchemaObject {
  let node: unknown = schema;
  for (const key of path) {
    node = (node as Record<string, unknown>)[key];
    expect(node).toBeDefined();
  }
  return node as ISchemaObject;
}

/** The `enum` of the property `key` of `schema`. */
export function enumOf(schema: ISchemaObject, key: string): unknown {
  return (schema.properties as Record<string, { enum?: string[] }>)[key].enum;
}

/** Every member of the string union `T`; the type checker makes sure none is left out. */
export function allOf<T extends string>(values: Record<T, true>): T[] {
  return Object.keys(values) as T[];
}
