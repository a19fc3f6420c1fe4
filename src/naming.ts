// Snapshot name templates: which placeholders exist, what makes a template valid, and the
// pattern of the names a template produces (for retention). The expansion itself is native
// (SnapshotState::NextPath), because signal and heap-limit snapshots are named without JS.

/** What each placeholder expands to, as a regular expression source. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  pid: '\\d+',
  tid: '\\d+',
  seq: '\\d+',
  date: '\\d{8}T\\d{6}Z', // UTC, sortable: 20250102T030405Z
  trigger: '(?:api|signal|leak|heap-limit)',
  sec: '\\d+',
  usec: '\\d{6}',
};

export const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS);

/** Splits a template into literal text and placeholder names. Throws on `{x}` that is not one. */
function parts(template: string): Array<{ literal: string } | { placeholder: string }> {
  const out: Array<{ literal: string } | { placeholder: string }> = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '}') throw new Error('has a "}" without "{"');
    if (c !== '{') {
      literal += c;
      continue;
    }
    const close = template.indexOf('}', i);
    if (close < 0) throw new Error('has a "{" without "}"');
    const key = template.slice(i + 1, close);
    if (!Object.hasOwn(PLACEHOLDERS, key)) {
      throw new Error(
        `has an unknown placeholder {${key}} (known: ${PLACEHOLDER_NAMES.map((k) => `{${k}}`).join(' ')})`,
      );
    }
    if (literal) out.push({ literal });
    literal = '';
    out.push({ placeholder: key });
    i = close;
  }
  if (literal) out.push({ literal });
  return out;
}

/**
 * Why `template` is not a valid name template, or '' when it is. Valid: a file name (no "/",
 * no control characters, not "." or ".."), only known placeholders, and unique within the
 * process: it has {seq}, or {usec} together with {sec} or {date}.
 */
export function templateProblem(template: string): string {
  if (template === '') return 'is empty';
  if (template.includes('/')) return 'contains "/" (set the directory with `dir`)';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  if (/[\u0000-\u001f\u007f]/.test(template)) return 'contains a control character';
  if (template === '.' || template === '..') return `is "${template}"`;
  let used: Set<string>;
  try {
    used = new Set(parts(template).flatMap((p) => ('placeholder' in p ? [p.placeholder] : [])));
  } catch (error) {
    return (error as Error).message;
  }
  if (!used.has('seq') && !(used.has('usec') && (used.has('sec') || used.has('date')))) {
    return 'could repeat a name: include {seq}, or {usec} with {sec} or {date}';
  }
  return '';
}

/** Matches exactly the names `template` (a valid one) can produce. */
export function templatePattern(template: string): RegExp {
  const source = parts(template)
    .map((p) =>
      'literal' in p ? p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : PLACEHOLDERS[p.placeholder],
    )
    .join('');
  return new RegExp(`^${source}$`);
}
