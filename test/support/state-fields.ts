/**
 * A state union seen as one object whose every field is optional: tests assert which fields a state has and has not
 * (`retryAt` gone once the attempt starts), which narrowing by `status` cannot express. The value is not changed.
 */
type KeysOf<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : undefined) : never;
export type AnyFields<T> = { [K in KeysOf<T>]?: FieldOf<T, K> };

export function fieldsOf<T extends object>(state: T): AnyFields<T> {
  return state as AnyFields<T>;
}

/**
 * Asserts a state's status and returns it narrowed to that member of its union, so the test reads the fields the
 * status guarantees as a user would.
 */
export function expectStatus<T extends { status: string }, S extends T['status']>(
  state: T,
  status: S,
): Extract<T, { status: S }> {
  if (state.status !== status) throw new Error(`expected status '${status}', got ${JSON.stringify(state)}`);
  return state as Extract<T, { status: S }>;
}
