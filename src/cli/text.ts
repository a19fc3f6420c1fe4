// Text output helpers: numbers, sizes and aligned tables.
import { formatBytes } from './progress.js';

export { formatBytes };

/** 1,312,637 */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A signed size: +1.2 MiB, -340.0 KiB, 0 B. */
export function signedBytes(bytes: number): string {
  return bytes > 0 ? `+${formatBytes(bytes)}` : formatBytes(bytes);
}

/** Cuts a cell to `width` characters with an ellipsis. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * Rows as aligned columns, two spaces apart; `right` lists the columns aligned right (numbers).
 * The first row is the header.
 */
export function table(rows: string[][], right: number[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const last = i === row.length - 1;
        if (right.includes(i)) return cell.padStart(widths[i]!);
        return last ? cell : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd(),
  );
}
