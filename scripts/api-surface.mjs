#!/usr/bin/env node
// Prints the public surface of the built package as stable text: every name the CommonJS and ESM
// entries export at run time, and every exported declaration of dist/index.d.cts and
// dist/index.d.mts with its members and their types, fully expanded. test/package.test.ts
// compares it with test/api-surface.txt, so that a change of the public API is a visible diff.
//
//   node scripts/api-surface.mjs            print it
//   node scripts/api-surface.mjs --write    write test/api-surface.txt
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.WriteArrayAsGenericType;

function declarations(entry) {
  const file = path.join(root, 'dist', entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const out = [];
  const describeSymbol = (symbol, prefix) => {
    const name = `${prefix}${symbol.getName()}`;
    const decl = symbol.declarations?.[0];
    const type = decl
      ? checker.getTypeOfSymbolAtLocation(symbol, decl)
      : checker.getDeclaredTypeOfSymbol(symbol);
    if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class)) {
      const declared = checker.getDeclaredTypeOfSymbol(symbol);
      out.push(
        `${name}: ${checker.typeToString(declared, undefined, flags | ts.TypeFormatFlags.InTypeAlias)}`,
      );
      // Members of object types (interfaces, classes, aliases of them); not of unions or primitives.
      if (!(declared.flags & ts.TypeFlags.Object)) return;
      for (const member of checker
        .getPropertiesOfType(declared)
        .sort((a, b) => a.name.localeCompare(b.name))) {
        const memberType = checker.getTypeOfSymbol(member);
        const sigs = memberType
          .getCallSignatures()
          .map((s) => checker.signatureToString(s, undefined, flags));
        const text = sigs.length > 0 ? sigs.join(' | ') : checker.typeToString(memberType, undefined, flags);
        out.push(`  ${member.name}${member.flags & ts.SymbolFlags.Optional ? '?' : ''}: ${text}`);
      }
      for (const sig of declared.getConstructSignatures?.() ?? []) {
        out.push(`  new ${checker.signatureToString(sig, undefined, flags)}`);
      }
    }
    if (symbol.flags & (ts.SymbolFlags.Value & ~ts.SymbolFlags.Class)) {
      out.push(`${name} (value): ${checker.typeToString(type, undefined, flags)}`);
    }
  };
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (resolved.flags & ts.SymbolFlags.Namespace && resolved.exports) {
      // `export =` with a merged namespace: its types, then the value itself.
      for (const inner of checker.getExportsOfModule(resolved)) {
        describeSymbol(
          inner.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(inner) : inner,
          `${symbol.getName()}.`,
        );
      }
    }
    describeSymbol(resolved, '');
  }
  // Declaration order is layout too: sort the entries, each with its member lines.
  const blocks = [];
  for (const line of out) {
    if (line.startsWith('  ')) blocks[blocks.length - 1].push(line);
    else blocks.push([line]);
  }
  return blocks.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).flat();
}

async function runtime() {
  const cjs = require(path.join(root, 'dist', 'index.cjs'));
  const esm = await import(path.join(root, 'dist', 'index.mjs'));
  const kind = (v) =>
    typeof v === 'function' ? (/^class\b/.test(String(v)) ? 'class' : 'function') : typeof v;
  const own = Object.getOwnPropertyNames(cjs)
    .filter((k) => !k.startsWith('_'))
    .sort()
    .map(
      (k) =>
        `cjs.${k}: ${kind(cjs[k])}${Object.getOwnPropertyDescriptor(cjs, k).enumerable ? '' : ' (not enumerable)'}`,
    );
  const named = Object.keys(esm)
    .sort()
    .map((k) => `esm.${k}: ${kind(esm[k])}`);
  return [...own, ...named, `esm.default === cjs: ${esm.default === cjs}`];
}

// Where a declaration lives is layout, not surface.
const unplaced = (line) => line.replace(/import\("[^"]*"\)\./g, '').replace(/__@(\w+)@\d+/g, '__@$1');
const text = [
  '# runtime',
  ...(await runtime()),
  '# dist/index.d.cts',
  ...declarations('index.d.cts'),
  '# dist/index.d.mts',
  ...declarations('index.d.mts'),
  '',
]
  .map(unplaced)
  .join('\n');
if (process.argv.includes('--write')) {
  writeFileSync(path.join(root, 'test', 'api-surface.txt'), text);
} else {
  process.stdout.write(text);
}
process.exit(0);
