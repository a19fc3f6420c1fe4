// Types of toolchain.mjs, for test/symbol-floor.test.ts.

export const ZIG: { spec: string; version: string; integrity: string };
export const GLIBC_FLOOR: string;
export const PREBUILD_ARCHES: string[];
export function targetTriple(arch: string): string;
