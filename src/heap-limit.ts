// `heapLimit`: a snapshot when V8 nears its heap limit, before the process dies of it. The
// callback is the addon's (native/heap_limit.h); this is its setting.
import { invalidArg } from './errors.js';
import {
  envWholeNumber,
  flag,
  isObject,
  type OptionRules,
  plainObject,
  valued,
  wholeNumber,
} from './option-values.js';

/** Each one is a full heap snapshot at the limit; more than this would not be read. */
export const MAX_HEAP_LIMIT_SNAPSHOTS = 1000;

export const heapLimitRules: OptionRules = {
  env: {
    // oom: near-heap-limit snapshots (one); oommax=N: up to N (implies oom).
    oom: flag((into) => {
      into.heapLimit = { max: into.heapLimit ? into.heapLimit.max : 1 };
    }),
    oommax: valued('oommax', (text) => ({
      heapLimit: { max: envWholeNumber(text, 'oommax', 1, MAX_HEAP_LIMIT_SNAPSHOTS) },
    })),
  },
  configure: {
    heapLimit: (value, name) => {
      if (typeof value === 'boolean') return { heapLimit: value ? { max: 1 } : false };
      if (!isObject(value)) throw invalidArg(name, 'a boolean or { max }', value);
      const { max } = plainObject(value, name, ['max']);
      return {
        heapLimit: {
          max: max === undefined ? 1 : wholeNumber(max, `${name}.max`, 1, MAX_HEAP_LIMIT_SNAPSHOTS),
        },
      };
    },
  },
};
