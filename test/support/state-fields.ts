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
