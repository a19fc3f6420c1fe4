// The `heapwatch` executable (package.json "bin"; tsup adds the #! line). Built as dist/cli.cjs,
// apart from the library: require('heapwatch') never loads it.
import { main } from './main.js';

// `heapwatch summary x | head` closes stdout early: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`heapwatch: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
