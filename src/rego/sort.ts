/** Sorting for the engine's values. */

/**
 * Sorts in place (stably). Short arrays, the usual keys of a decision object or members of a set
 * of reasons, are sorted by insertion: Array.prototype.sort costs several times more on them.
 */
export function sortInPlace<T>(items: T[], order: (a: T, b: T) => number): T[] {
  if (items.length > 8) return items.sort(order);
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as T;
    let j = i - 1;
    while (j >= 0 && order(items[j] as T, item) > 0) {
      items[j + 1] = items[j] as T;
      j--;
    }
    items[j + 1] = item;
  }
  return items;
}
