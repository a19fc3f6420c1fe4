// Byte sizes as memwatch prints them.

const KB = 1024;
const MB = 1024 * 1024;

/** Rounds to two decimals and drops trailing zeros: 312.5, 2, 1.78. */
function twoDecimals(x: number): string {
  return String(Number(x.toFixed(2)));
}

/**
 * memwatch's size string: above 1 MiB `"<x> mb"`, above 1 KiB `"<x> kb"`, else `"<n> bytes"`.
 * The thresholds are strict, so exactly 1024 bytes is `"1024 bytes"` and exactly 1 MiB is
 * `"1024 kb"`; negative sizes keep their sign. Also used for leak growth rates (fractional).
 * @example
 *   formatSize(1866465); // '1.78 mb'
 *   formatSize(-2120);   // '-2.07 kb'
 */
export function formatSize(bytes: number): string {
  const magnitude = Math.abs(bytes);
  if (magnitude > MB) return `${twoDecimals(bytes / MB)} mb`;
  if (magnitude > KB) return `${twoDecimals(bytes / KB)} kb`;
  return `${Math.round(bytes)} bytes`;
}
