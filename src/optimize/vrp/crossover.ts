/** Ordered crossover (OX, Oliver et al. 1987) on giant tours. */
import type { Random } from './random.ts';

/**
 * Child keeps parent A's tour between two random cut points (circularly) in place and fills the
 * other positions with the remaining customers in parent B's order, starting after the second cut.
 * `taken` is a scratch array indexed by customer (length >= max customer + 1).
 */
export function orderedCrossover(a: Int32Array, b: Int32Array, child: Int32Array, random: Random, taken: Uint8Array): void {
  const m = a.length;
  taken.fill(0);
  if (m === 1) {
    child[0] = a[0];
    return;
  }
  const start = random.int(m);
  let end = random.int(m);
  while (end === start) end = random.int(m);
  for (let k = start; k !== (end + 1) % m; k = (k + 1) % m) {
    child[k] = a[k];
    taken[a[k]] = 1;
  }
  let write = (end + 1) % m;
  for (let i = 1; i <= m; i++) {
    const c = b[(end + i) % m];
    if (taken[c]) continue;
    child[write] = c;
    write = (write + 1) % m;
  }
}
