/**
 * Running the broker's Lua scripts: by their SHA1 (`EVALSHA`), which Redis keeps once it has seen
 * a script, and in full (`EVAL`) when it does not have it yet (first use, a restart, a failover,
 * `SCRIPT FLUSH`).
 */
import { createHash } from 'node:crypto';
import type { RedisConnection } from './connection/connection.js';

/** A Lua script and its SHA1. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The start of a call of `script` on `keys`: its arguments are pushed after them. */
export function scriptCall(script: Script, keys: readonly string[]): string[] {
  return ['EVALSHA', script.sha, String(keys.length), ...keys];
}

/**
 * Sends `call` (made by `scriptCall`, arguments added), and once more in full when Redis does
 * not have the script. The arguments are not copied: a call can be thousands long.
 */
export async function sendScriptCall(
  connection: RedisConnection,
  script: Script,
  call: string[],
): Promise<unknown> {
  try {
    return await connection.command(call);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    call[0] = 'EVAL';
    call[1] = script.source;
    return connection.command(call);
  }
}

/** Runs `script` on `keys` with `args`. */
export function runScript(
  connection: RedisConnection,
  script: Script,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const call = scriptCall(script, keys);
  for (const arg of args) call.push(arg);
  return sendScriptCall(connection, script, call);
}
