// Arrays emptied and filled again per packet.

/**
 * Empties an array but keeps its storage for what is pushed next: `a.length = 0` gives V8's
 * array a new empty store, which the next push must allocate again (about 50 ns, measured;
 * popping costs about 2).
 * @param a the array
 */
export function emptyArray<T>(a: T[]): void {
  while (a.length > 0) a.pop();
}
