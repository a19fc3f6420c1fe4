// Runs one analysis of snapshot files for a subcommand: checks the files first (so that a wrong
// path gets a plain answer), shows progress, and turns the addon's errors into what the user
// should do about them.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type {
  AnalysisBinding,
  AnalysisCommand,
  AnalysisFailure,
  AnalyzeOptions,
  DiffResult,
  LeaksResult,
  SummaryResult,
} from './binding.js';
import { CommandError, type Output } from './command.js';
import { createProgress, describeSteps, formatDuration, type Progress, type StepRecord } from './progress.js';

type ResultOf<C extends AnalysisCommand> = C extends 'summary'
  ? SummaryResult
  : C extends 'diff'
    ? DiffResult
    : LeaksResult;

/** Fails with a clear message when `file` is missing, unreadable, a directory or empty. */
export function checkFile(file: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch (error) {
    throw ioError(file, error as NodeJS.ErrnoException);
  }
  if (stat.isDirectory()) {
    throw new CommandError(`${file} is a directory`, 'give the path of a .heapsnapshot file in it');
  }
  if (stat.size === 0) {
    throw new CommandError(
      `${file} is empty`,
      'a snapshot that is still being written, or whose writer ran out of disk, can be empty: write it again',
    );
  }
}

function ioError(file: string, error: { code?: string; message: string }): CommandError {
  const code = error.code ?? 'EIO';
  const hints: Record<string, string> = {
    ENOENT: 'check the path (`heapwatch snapshot <pid>` prints the path of the snapshot it wrote)',
    EACCES:
      'snapshots are created readable by their owner only (0600): run as the user that wrote it, or copy it with sudo',
    EISDIR: 'give the path of a .heapsnapshot file',
  };
  return new CommandError(`cannot read ${file}: ${code}`, hints[code]);
}

/** The addon's rejection as a CommandError naming the file. */
function failure(error: AnalysisFailure, files: string[]): CommandError {
  const file = files[error.file] ?? files[0]!;
  if (error.syscall) {
    const code = error.message.match(/^E[A-Z]+/)?.[0];
    return ioError(file, { code: codeOf(error.errno) ?? code, message: error.message });
  }
  if (/memory are available/.test(error.message)) {
    return new CommandError(
      `not enough memory to analyse ${file}: ${error.message}`,
      'analyse it on a machine with more free memory, or stop other programs first',
    );
  }
  if (/gzip|zlib/.test(error.message)) {
    return new CommandError(`cannot decompress ${file}: ${error.message}`);
  }
  return new CommandError(
    `${file} is not a complete V8 heap snapshot: ${error.message}`,
    'a snapshot cut short (a full disk, a killed process, a copy still running) ends early: ' +
      'write it again. heapwatch writes snapshots under a temporary name and renames them only when complete.',
  );
}

function codeOf(errno: number | undefined): string | undefined {
  if (errno === undefined) return undefined;
  const names: Record<number, string> = { [-2]: 'ENOENT', [-13]: 'EACCES', [-21]: 'EISDIR', [-5]: 'EIO' };
  return names[errno];
}

export interface Analysis<R> {
  result: R;
  progress: Progress;
  /** out.now() when the analysis started. */
  started: number;
}

/** Analyses `files` with progress on stderr; on failure throws a CommandError. */
export async function analyze<C extends AnalysisCommand>(
  binding: AnalysisBinding,
  command: C,
  files: string[],
  options: AnalyzeOptions,
  out: Output,
): Promise<Analysis<ResultOf<C>>> {
  for (const file of files) checkFile(file);
  const progress = createProgress({
    stream: out.stderr,
    label: `heapwatch ${command}`,
    quiet: out.quiet,
    now: out.now,
  });
  const started = out.now();
  // Steps are told apart by name: files of one name are shown by their whole path.
  const names = files.map((f) => basename(f));
  const shown = files.map((f, i) =>
    names.indexOf(names[i]!) === names.lastIndexOf(names[i]!) ? names[i]! : f,
  );
  try {
    const result = (await (binding.analyze as (...args: unknown[]) => Promise<unknown>)(
      command,
      files,
      options,
      (step: string, file: number, done: number, total: number) => {
        const name = step === 'parse' ? `parse ${shown[file] ?? ''}` : step;
        progress.update(name, done, total, step === 'parse' ? 'bytes' : 'steps');
      },
    )) as ResultOf<C>;
    return { result, progress, started };
  } catch (error) {
    progress.fail();
    if (error instanceof CommandError) throw error;
    const e = error as AnalysisFailure;
    if (typeof e?.file === 'number') throw failure(e, files);
    throw error;
  }
}

/** The line written on stderr at the end: what took how long. */
export function finalLine(command: string, analysis: Analysis<unknown>, now: () => number) {
  return (steps: readonly StepRecord[]) =>
    `heapwatch ${command}: ${describeSteps(steps)} (${formatDuration(now() - analysis.started)} in all)`;
}
