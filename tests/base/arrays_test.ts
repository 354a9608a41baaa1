import assert from "node:assert/strict";
import { emptyArray, takeFirst } from "../../lib/base/arrays.ts";

Deno.test("emptyArray: the array is empty and takes new elements from index 0", () => {
  const a = [1, 2, 3];
  emptyArray(a);
  assert.equal(a.length, 0);
  a.push(4);
  assert.deepEqual(a, [4]);
});

Deno.test("takeFirst: elements come out first in, first out, the last one too; then undefined", () => {
  const a = [1, 2];
  assert.equal(takeFirst(a), 1);
  a.push(3);
  assert.deepEqual([takeFirst(a), takeFirst(a), takeFirst(a)], [2, 3, undefined]);
  assert.equal(a.length, 0);
});
