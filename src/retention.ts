// `keep`: at most N of heapwatch's own snapshots per directory. The rule and the ledger that
// proves which files are heapwatch's are the addon's (native/snapshot_ledger.h): they run after
// every snapshot under a generated name, on every trigger, and when keep, dir or name change.
import { invalidArg } from './errors.js';
import { envWholeNumber, type OptionRules, valued, wholeNumber } from './option-values.js';

/** More would be a directory nobody could list; the addon counts in size_t. */
export const MAX_KEEP = 100_000;

export const retentionRules: OptionRules = {
  env: { keep: valued('keep', (text) => ({ keep: envWholeNumber(text, 'keep', 1, MAX_KEEP) })) },
  configure: {
    keep: (value, name) => {
      if (value === false) return { keep: false };
      if (typeof value !== 'number')
        throw invalidArg(name, `a whole number from 1 to ${MAX_KEEP}, or false`, value);
      return { keep: wholeNumber(value, name, 1, MAX_KEEP) };
    },
  },
};
