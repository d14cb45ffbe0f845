/** CSV output of the services (RFC 4180), one writer for study results and statistics tables. */

/** A field, quoted when it holds a comma, quote or line break; null and undefined as empty. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows (header first) as CSV text, every line ended by `eol`. */
export function csvText(rows: readonly (readonly unknown[])[], eol = '\r\n'): string {
  return rows.map((r) => r.map(csvField).join(',')).join(eol) + eol;
}
