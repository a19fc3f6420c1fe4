import { describe, expect, it } from 'vitest';
import { formatSize } from '../src/format.js';

describe('formatSize (memwatch size strings)', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 bytes'],
    [1023, '1023 bytes'],
    [1024, '1024 bytes'],
    [1025, '1 kb'],
    [1536, '1.5 kb'],
    [320000, '312.5 kb'],
    [1024 * 1024, '1024 kb'],
    [1024 * 1024 + 1, '1 mb'],
    [1866465, '1.78 mb'],
    [2 * 1024 * 1024, '2 mb'],
    [5 * 1024 ** 4, '5242880 mb'],
    [-1, '-1 bytes'],
    [-1024, '-1024 bytes'],
    [-1025, '-1 kb'],
    [-2120, '-2.07 kb'],
    [-1024 * 1024, '-1024 kb'],
    [-3 * 1024 * 1024, '-3 mb'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('never prints -0', () => {
    expect(formatSize(-0)).toBe('0 bytes');
  });
});
