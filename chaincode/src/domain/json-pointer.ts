/**
 * The value without what a JSON pointer names; the value itself when the path is absent. The value
 * is never changed: only the objects and arrays on the way to a removed property are copied
 * (shallowly), and the rest is shared, so filtering a large answer or an event every subscriber
 * receives costs the path, not a deep copy. A `*` token stands for every element of an array (or
 * member of an object), so one pointer can reach a property in each item of a list. `spare` keeps
 * an item whole: each one a `*` selects, or the value itself when the pointer has no `*`.
 */
export function withoutPointer<T>(value: T, pointer: string, spare?: (item: unknown) => boolean): T {
  const tokens = pointer.split('/').slice(1);
  if (spare && !tokens.includes('*') && spare(value)) return value;
  return without(value, tokens, spare) as T;
}

function without(
  value: unknown,
  tokens: readonly string[],
  spare: ((item: unknown) => boolean) | undefined,
): unknown {
  if (typeof value !== 'object' || value === null || tokens.length === 0) return value;
  const [head, ...rest] = tokens as [string, ...string[]];
  const record = value as Record<string, unknown>;
  const keys =
    head === '*'
      ? Object.keys(record).filter((key) => !spare?.(record[key]))
      : Object.hasOwn(record, head)
        ? [head]
        : [];
  let copy: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (rest.length === 0) {
      copy ??= shallowCopy(record);
      delete copy[key];
      continue;
    }
    const child = without(record[key], rest, spare);
    if (child !== record[key]) {
      copy ??= shallowCopy(record);
      copy[key] = child;
    }
  }
  return copy ?? value;
}

function shallowCopy(record: Record<string, unknown>): Record<string, unknown> {
  return (Array.isArray(record) ? [...(record as unknown[])] : { ...record }) as Record<string, unknown>;
}
