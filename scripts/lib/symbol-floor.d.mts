// Types of symbol-floor.mjs, for test/symbol-floor.test.ts.

export interface Requirements {
  machine: string | null;
  needed: string[];
  versions: { file: string; name: string }[];
  exports: string[];
  imports?: string[];
}
export const FLOOR: Readonly<Record<'GLIBC' | 'GLIBCXX' | 'CXXABI' | 'GCC', string>>;
export const ALLOWED_NEEDED: readonly string[];
export const MODULE_EXPORTS: readonly string[];
export function compareVersions(a: string, b: string): number;
export function parseReadelf(text: string): Requirements;
export function readRequirements(file: string): Requirements;
export function newestVersions(req: Requirements): Record<string, string>;
export function floorProblems(
  req: Requirements,
  opts?: { floor?: Record<string, string>; arch?: string; moduleExports?: boolean },
): string[];
export function describeNeeds(req: Requirements): string;
export function checkPrebuild(
  file: string,
  arch: string,
): { req: Requirements; problems: string[]; needs: string };
