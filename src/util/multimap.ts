/** Maps from a key to the list of values filed under it. */

/** Appends `value` to `key`'s list, starting the list on first use. */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
