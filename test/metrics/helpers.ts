// Shared by the metrics tests: a strict reader of Prometheus' text exposition format, and checks
// of what every family must hold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { expect } from 'vitest';
import { ROOT } from '../helpers.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (m === null) throw new Error(`bad labels in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/**
 * Parses an exposition into families by name. Throws on anything malformed: a sample before its
 * family's TYPE, a family declared twice, a sample name that does not belong to its family.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  const helps = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') helps.set(name, rest);
      if (kind === 'TYPE') {
        if (families.has(name)) throw new Error(`family ${name} declared twice`);
        current = { name, help: helps.get(name) ?? '', type: rest, samples: [] };
        families.set(name, current);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labels, value] = m as unknown as [string, string, string | undefined, string];
    const suffixes = current?.type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    if (current === undefined || !suffixes.some((s) => name === current!.name + s)) {
      throw new Error(`sample ${name} outside its family (after ${current?.name})`);
    }
    current.samples.push({
      name,
      labels: labels ? parseLabels(labels, line) : {},
      value: value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value),
    });
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined if none. */
export function sampleValue(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  suffix = '',
): number | undefined {
  const matches = (families.get(family)?.samples ?? []).filter(
    (s) => s.name === family + suffix && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1)
    throw new Error(`${family}${suffix} ${JSON.stringify(labels)}: ${matches.length} samples`);
  return matches[0]?.value;
}

/**
 * Every series of a histogram family: buckets in increasing `le` ending in +Inf, counts
 * cumulative, +Inf equal to _count, and a _sum; returns the series by their labels.
 */
export function checkHistogram(
  family: Family,
): { labels: Record<string, string>; count: number; sum: number }[] {
  const series = new Map<
    string,
    { labels: Record<string, string>; buckets: [number, number][]; sum?: number; count?: number }
  >();
  for (const s of family.samples) {
    const { le, ...labels } = s.labels;
    const key = JSON.stringify(Object.entries(labels).sort());
    let entry = series.get(key);
    if (entry === undefined) {
      entry = { labels, buckets: [] };
      series.set(key, entry);
    }
    if (s.name.endsWith('_bucket'))
      entry.buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), s.value]);
    else if (s.name.endsWith('_sum')) entry.sum = s.value;
    else entry.count = s.value;
  }
  return [...series.values()].map(({ labels, buckets, sum, count }) => {
    const bounds = buckets.map(([b]) => b);
    expect(bounds, `${family.name} ${JSON.stringify(labels)}: le increasing`).toEqual(
      [...bounds].sort((a, b) => a - b),
    );
    expect(bounds.at(-1)).toBe(Number.POSITIVE_INFINITY);
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]);
    expect(buckets.at(-1)![1], `${family.name}: +Inf bucket equals _count`).toBe(count);
    expect(typeof sum).toBe('number');
    return { labels, count: count!, sum: sum! };
  });
}

/** heapwatch's Prometheus naming: prefix, unit suffix by type, HELP text present. */
export function checkNaming(family: Family): void {
  expect(family.name).toMatch(/^heapwatch_/);
  expect(family.help.length, `${family.name} has HELP`).toBeGreaterThan(10);
  if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
  else if (family.type === 'histogram') expect(family.name).toMatch(/_(seconds|bytes)$/);
  else expect(family.type === 'gauge' && /_(bytes|ratio)$/.test(family.name), family.name).toBe(true);
}

export const fetchText = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
};

/** The PromQL expressions of the README's Metrics section (`expr:` in its YAML blocks). */
export function readmeExpressions(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Metrics: Prometheus and OpenTelemetry'));
  const body = section.slice(0, section.indexOf('\n## ', 5));
  const exprs: string[] = [];
  for (const block of body.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)expr: (.*)$/.exec(lines[i]!);
      if (!m) continue;
      if (m[2] !== '|') {
        exprs.push(m[2]!);
        continue;
      }
      const indent = m[1]!.length;
      const more: string[] = [];
      for (let j = i + 1; j < lines.length && /^\s*/.exec(lines[j]!)![0].length > indent; j++)
        more.push(lines[j]!);
      exprs.push(more.join('\n'));
    }
  }
  return exprs;
}

/**
 * Checks a PromQL expression: it parses, every heapwatch metric it names is in `families`, and
 * rate/increase take counters, deriv/predict_linear gauges. Returns the metric names used.
 */
export function checkPromQL(expr: string, families: Map<string, Family>): string[] {
  const tree = parser.parse(expr);
  const used: string[] = [];
  let errors = 0;
  const functions: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors++;
      if (node.name === 'FunctionIdentifier') functions.push(expr.slice(node.from, node.to));
      if (node.name === 'VectorSelector') {
        const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(node.from, node.to))![0];
        used.push(name);
        const fn = functions.at(-1);
        const type = families.get(name)?.type;
        expect(type, `${name} in ${expr}`).toBeDefined();
        if (fn === 'rate' || fn === 'increase') expect(type, `${fn}(${name})`).toBe('counter');
        if (fn === 'deriv' || fn === 'predict_linear') expect(type, `${fn}(${name})`).toBe('gauge');
      }
    },
  });
  expect(errors, `PromQL syntax: ${expr}`).toBe(0);
  return used;
}
