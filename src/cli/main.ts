#!/usr/bin/env node
/**
 * The `mtls-pop` command line tool: the npm bin (Node runs the compiled
 * main.js), `deno run -A src/cli/main.ts`, and `bun src/cli/main.ts`.
 *
 * @module
 */

import process from "node:process";
import { processContext } from "./context.ts";
import { runCli } from "./run.ts";

// A reader that goes away early (`mtls-pop inspect - | head -1`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

const code = await runCli(process.argv.slice(2), processContext());
await flushStandardStreams();
// Exit explicitly: a pooled keep-alive socket or a timer somewhere in a
// runtime must not keep a finished command alive.
process.exit(code);

/** Waits until what was written to stdout and stderr has been handed to the OS (pipes can be asynchronous). */
function flushStandardStreams(): Promise<void> {
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (!stream.writable) return resolve();
      stream.write("", () => resolve());
    });
  return Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => undefined);
}
