import { describe, expect, it } from 'vitest';
import { argumentError, HeapwatchError, invalidArg, systemError } from '../src/errors.js';

describe('HeapwatchError', () => {
  it('bad arguments are TypeErrors and HeapwatchErrors, with the stable code', () => {
    const error = invalidArg('callback', 'a function', 5);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(HeapwatchError);
    expect(error.code).toBe('ERR_HEAPWATCH_INVALID_ARG');
    expect(error.message).toBe('Expected a function for `callback` but received 5 (number)');
    expect(argumentError('x')).toBeInstanceOf(HeapwatchError);
  });

  it('I/O errors are HeapwatchErrors, not TypeErrors, and keep errno, syscall and path', () => {
    const error = systemError((code) => `heapdump write error ${code}`, 2, 'open', '/nope/x');
    expect(error).toBeInstanceOf(HeapwatchError);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: '/nope/x' });
    expect(error.message).toBe('heapdump write error ENOENT');
  });

  it('subclasses keep the ordinary instanceof', () => {
    class Mine extends HeapwatchError {}
    expect(new Mine('X', 'm')).toBeInstanceOf(HeapwatchError);
    expect(invalidArg('a', 'b', 1)).not.toBeInstanceOf(Mine);
    expect(new HeapwatchError('X', 'm')).not.toBeInstanceOf(Mine);
  });
});
