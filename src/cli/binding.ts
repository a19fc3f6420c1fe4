// The addon's snapshot-file analysis (native/analysis_worker.h), loaded through the library's
// one loader.
import { loadBinding, type NativeHeapDiff, packageRoot } from '../binding.js';

export type AnalysisCommand = 'summary' | 'diff' | 'leaks';
export type DominatorRules = 'devtools' | 'memlab';

export interface AnalyzeOptions {
  /** summary: largest objects listed; leaks: suspects listed. */
  top?: number;
  /** diff: groups that grew most to find retainer paths for. */
  retainers?: number;
  rules?: DominatorRules;
}

/** step "parse": done/total are bytes of files[file]; "dominators": steps; "report". */
export type ProgressCallback = (
  step: 'parse' | 'dominators' | 'report',
  file: number,
  done: number,
  total: number,
) => void;

export interface FileTotals {
  nodes: number;
  edges: number;
  /** Every node's self size. */
  selfBytes: number;
  /** Nodes the root does not reach through retaining edges (attached to the root). */
  unreachable: number;
}

export interface GroupSummary {
  what: string;
  count: number;
  selfBytes: number;
  /** Retained by the group's objects that no object of the group retains (DevTools' rule). */
  retainedBytes: number;
}

export interface LargeObject {
  id: number;
  what: string;
  name: string;
  selfBytes: number;
  retainedBytes: number;
  path: string;
}

export interface SummaryResult {
  totals: FileTotals;
  /** By retained size, largest first. */
  groups: GroupSummary[];
  largest: LargeObject[];
}

/** Whether two snapshots come from one process, read from their ids. */
export interface Lineage {
  verdict: 'same' | 'other-process' | 'reversed';
  /** Ids in both. */
  common: number;
  /** ...whose node differs in kind or constructor. */
  mismatched: number;
  added: number;
  removed: number;
  /** Ids new in the second file yet lower than the first file's highest. */
  olderNew: number;
  /** Ids gone from the second file yet higher than its highest. */
  newerGone: number;
}

export interface DiffResult {
  lineage: Lineage;
  /** Absent unless lineage.verdict is 'same'. */
  diff?: NativeHeapDiff;
}

export interface LeakSuspect {
  what: string;
  count: number;
  retainedBytes: number;
  /** Objects on the same path made after the second snapshot. */
  later: number;
  path: string;
}

export interface LeaksResult {
  lineage: [Lineage, Lineage];
  totals: FileTotals;
  /** Objects made between the first two snapshots and alive in the third. */
  candidates: number;
  /** Paths that stopped growing after the second snapshot (not reported). */
  settled: { groups: number; count: number; retainedBytes: number };
  groups: LeakSuspect[];
}

export interface AnalysisBinding {
  analyze(
    command: 'summary',
    files: string[],
    options: AnalyzeOptions,
    onProgress?: ProgressCallback,
  ): Promise<SummaryResult>;
  analyze(
    command: 'diff',
    files: string[],
    options: AnalyzeOptions,
    onProgress?: ProgressCallback,
  ): Promise<DiffResult>;
  analyze(
    command: 'leaks',
    files: string[],
    options: AnalyzeOptions,
    onProgress?: ProgressCallback,
  ): Promise<LeaksResult>;
}

/** What analyze() rejects with. */
export interface AnalysisFailure extends Error {
  /** Which of the files (0-based). */
  file: number;
  errno?: number;
  syscall?: string;
}

/** Loads the addon (throws the loader's explanation, ERR_HEAPWATCH_NATIVE_LOAD, when it cannot). */
export function loadAnalysis(root: string = packageRoot): AnalysisBinding {
  // The library's Binding type leaves out analyze(), which only the command uses.
  return loadBinding(root) as unknown as AnalysisBinding;
}
