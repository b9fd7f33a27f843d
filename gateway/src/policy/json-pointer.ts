/**
 * Removes what a JSON pointer names from a value, in place; nothing when the path is absent. A
 * `*` token stands for every element of an array (or member of an object), so one pointer can
 * reach a property in each item of a list. `spare` keeps an item whole: each one a `*` selects,
 * or the value itself when the pointer has no `*`.
 */
export function removePointer(target: unknown, pointer: string, spare?: (item: unknown) => boolean): void {
  const tokens = pointer.split('/').slice(1);
  if (spare && !tokens.includes('*') && spare(target)) return;
  removeTokens(target, tokens, spare);
}

function removeTokens(
  target: unknown,
  tokens: readonly string[],
  spare: ((item: unknown) => boolean) | undefined,
): void {
  if (typeof target !== 'object' || target === null || tokens.length === 0) return;
  const [head, ...rest] = tokens as [string, ...string[]];
  const record = target as Record<string, unknown>;
  const keys =
    head === '*'
      ? Object.keys(record).filter((key) => !spare?.(record[key]))
      : Object.hasOwn(record, head)
        ? [head]
        : [];
  for (const key of keys) {
    if (rest.length === 0) delete record[key];
    else removeTokens(record[key], rest, spare);
  }
}
