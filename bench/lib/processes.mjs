/** Child processes of the harness: one server, one client, each spoken to over IPC. */
import { fork } from 'node:child_process';

const SERVER = new URL('./server.mjs', import.meta.url);
const CLIENT = new URL('./client.mjs', import.meta.url);

/** Request/response over a child's IPC channel. */
export function rpc(child, label) {
  let nextId = 0;
  const pending = new Map();
  child.on('message', (message) => {
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(`${label}: ${message.error}`));
    else waiter.resolve(message.result);
  });
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${label} exited (${signal ?? code}) during a request`));
    }
    pending.clear();
  });
  return (cmd, args) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, args });
    });
}

/** Stops a child we started: disconnect (it exits by itself), then SIGKILL after a grace. */
export function stopper(child) {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
}

/**
 * Starts `bench/impls/<name>.mjs` in its own process. Resolves once it listens, with its port
 * and its memory when empty (after GC).
 */
export function startServer(name, { profileDir, env } = {}) {
  const execArgv = ['--expose-gc'];
  if (profileDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const child = fork(SERVER, [name], {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const call = rpc(child, `server ${name}`);
  const stop = stopper(child);
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server ${name} did not start in 15 s`));
    }, 15_000);
    child.on('message', (message) => {
      if (!message.ready) return;
      clearTimeout(timeout);
      resolve({ port: message.port, empty: message.empty, call, stop });
    });
    child.on('exit', (code) => {
      clearTimeout(timeout);
      reject(
        new Error(
          `server ${name} exited with ${code}: ${stderr.trim().split('\n').slice(-6).join(' | ')}`,
        ),
      );
    });
  });
}

/** Starts the load client in its own process. */
export function startClient() {
  const child = fork(CLIENT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return { call: rpc(child, 'client'), stop: stopper(child) };
}
