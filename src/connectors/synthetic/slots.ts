/**
 * The synthetic source's timeline: day D (UTC) holds `perDay` slots, slot j at D + ⌊j · 86 400 000 / perDay⌋
 * ms. Slots are numbered globally (k = day · perDay + j) so that a window, a cursor and an estimate are
 * all plain arithmetic. Every intermediate product stays below 2^53 for perDay ≤ 86 400 000 (one slot per
 * millisecond), which is why that is the largest rate allowed.
 */
const DAY_MS = 86_400_000;
/** One slot per millisecond. */
export const MAX_PER_DAY = DAY_MS;

/**
 * ⌊a / b⌋ exactly for integers below 2^53. The floating quotient alone can round across an integer
 * (a / b = n + 1/86 400 000 is closer to n than n's spacing allows near 2^26), so it is corrected.
 */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

function ceilDiv(a: number, b: number): number {
  const q = floorDiv(a, b);
  return q * b === a ? q : q + 1;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** How many slots lie before time `t` (epoch ms): the global number of the first slot at or after t. */
export function slotsBefore(t: number, perDay: number): number {
  const day = floorDiv(t, DAY_MS);
  const intoDay = mod(t, DAY_MS);
  // Slot j precedes t exactly when j < intoDay · perDay / DAY_MS, i.e. j < ⌈intoDay · perDay / DAY_MS⌉.
  return day * perDay + ceilDiv(intoDay * perDay, DAY_MS);
}

/** The time (epoch ms) of global slot `k`. */
export function slotTime(k: number, perDay: number): number {
  return floorDiv(k, perDay) * DAY_MS + floorDiv(mod(k, perDay) * DAY_MS, perDay);
}
