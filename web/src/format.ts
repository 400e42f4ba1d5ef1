// Numbers as Chinese land administration writes them: m², 公顷 (ha), 亩 (mu), 万亩, km².
// 1 亩 = 10000/15 m²; 1 公顷 = 15 亩.

export const M2_PER_MU = 10000 / 15;
export const M2_PER_HA = 10000;

const nf = (digits: number) =>
  new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const cache = new Map<number, Intl.NumberFormat>();
/** `1234567.891` → `1,234,567.89` with a fixed number of decimals; a value that rounds to
 * zero (−0 and −0.001 included) is `0`, never `-0.00`. */
export function num(v: number, digits = 2): string {
  if (Math.abs(v) < 0.5 * 10 ** -digits) return "0";
  let f = cache.get(digits);
  if (!f) cache.set(digits, (f = nf(digits)));
  return f.format(v);
}

export const m2 = (v: number) => num(v, 2);
export const ha = (v: number) => num(v / M2_PER_HA, 4);
export const mu = (v: number) => num(v / M2_PER_MU, 2);
export const pct = (share: number, digits = 1) => `${num(share * 100, digits)}%`;

/** A distance: metres below 1 km, else km. */
export function dist(m: number): string {
  return m < 1000 ? `${num(m, 1)} m` : `${num(m / 1000, 2)} km`;
}

/** Escapes text for HTML. */
export function esc(s: unknown): string {
  return String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** Today's date as 2025-06-01. */
export function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
