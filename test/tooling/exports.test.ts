/**
 * Every entry of every published package exports exactly the names listed here: growth of the
 * public API is a decision, not an accident. Checked on the build users get: the runtime names of
 * each entry loaded by `node` with `import` (ESM) and `require` (CommonJS), and the names its
 * declarations (`.d.ts`, `.d.cts`) export, read with the TypeScript compiler API. A value (a
 * function, class or constant) must be in both; a type only in the declarations. docs/api.md
 * lists the same names, entry by entry. Needs `npm run build` first and says so.
 *
 * Adding an export (or an entry): export it from the entry's source file (packages/core/src/
 * index.ts, node/index.ts, broker.ts, adapter.ts, or a package's src/index.ts), list its name
 * below under `values` (anything that exists at runtime, classes included) or `types` (interfaces
 * and type aliases), keep the list sorted, give it a line in docs/api.md, and run
 * `npm run build && npx vitest run test/tooling/exports.test.ts`. Removing or renaming one is a
 * breaking change: add a row to "Migrating from 0.1" in the root README.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { assertBuilt as assertEveryDistCurrent } from '../packages/support/install.js';
import { publishedPackages, root } from './support/repository.js';

/** What one entry exports: names that exist at runtime, and names that are types only. */
interface EntryExports {
  values: string[];
  types: string[];
}

/** Every published entry (package name plus `exports` subpath) and its export list. */
const PINNED: Record<string, EntryExports> = {
  '@ssekit/core': {
    values: [
      'CURSOR_EVENT',
      'DENIED_EVENT',
      'EncodedEvent',
      'Hub',
      'RESET_EVENT',
      'SseStream',
      'SsekitError',
      'acceptsEventStream',
      'createHub',
      'createSseResponse',
      'encodeEvent',
      'memoryHistory',
    ],
    types: [
      'EventMap',
      'HubCloseOptions',
      'HubDelivery',
      'HubFilter',
      'HubMessage',
      'HubOptions',
      'HubSignals',
      'HubStats',
      'MemoryHistoryOptions',
      'SseMessage',
      'OverflowPolicy',
      'PublishOptions',
      'Serializer',
      'SseHandler',
      'SseResponseOptions',
      'SseStreamHandle',
      'SseStreamOptions',
      'SsekitErrorCode',
      'SubscribeOptions',
    ],
  },
  '@ssekit/core/node': {
    values: ['openSseStream'],
    types: ['NodeRequestLike', 'NodeResponseLike'],
  },
  '@ssekit/core/broker': {
    values: [
      'checkKnownKeys',
      'compareIds',
      'isHubId',
      'localBroker',
      'optionalFunction',
      'positiveInteger',
    ],
    types: [
      'Broker',
      'BrokerListener',
      'History',
      'HubEntry',
      'LocalBrokerOptions',
      'PublishedEntry',
      'ReplayPage',
    ],
  },
  '@ssekit/core/adapter': {
    values: [
      'LazySseStream',
      'SSE_STREAM_OPTION_KEYS',
      'attachSink',
      'checkKnownKeys',
      'createSseStream',
      'exposeAsSse',
      'formatComment',
      'formatEvent',
      'heartbeatRegistry',
      'isPromiseLike',
      'noteCalls',
      'optionalFunction',
      'readLastEventId',
      'requiredFunction',
      'resolveStreamOptions',
      'runHandler',
      'sseHeaders',
      'tieToConnection',
    ],
    types: ['FormatOptions', 'Sink', 'SinkSource', 'SinkTarget'],
  },
  '@ssekit/client': {
    values: ['SseClient', 'SseClientError', 'createClient'],
    types: [
      'ClientEvent',
      'ClientOptions',
      'ClientState',
      'ConnectionMode',
      'EventHandler',
      'HeadersSource',
      'SseClientErrorCode',
    ],
  },
  '@ssekit/client/tabs': {
    values: ['pauseWhenHidden', 'shareAcrossTabs'],
    types: [],
  },
  '@ssekit/express': {
    values: ['acceptsEventStream', 'enableHttp2', 'sse', 'sseHandler'],
    types: [
      'EventMap',
      'Http2Listener',
      'SseMiddleware',
      'SseOptions',
      'SseResponse',
      'SseRouteHandler',
      'SseStream',
      'SseStreamOptions',
    ],
  },
  '@ssekit/koa': {
    values: ['acceptsEventStream', 'sse'],
    types: [
      'EventMap',
      'SseContext',
      'SseMiddleware',
      'SseOptions',
      'SseStream',
      'SseStreamOptions',
    ],
  },
  '@ssekit/h3': {
    values: ['acceptsEventStream', 'defineSseHandler', 'sseResponse'],
    types: ['EventMap', 'SseEventHandler', 'SseResponseOptions', 'SseStream'],
  },
  '@ssekit/fastify': {
    values: ['acceptsEventStream', 'sse'],
    types: ['EventMap', 'RouteEvents', 'SseOptions', 'SseStream', 'SseStreamOptions'],
  },
  '@ssekit/redis': {
    values: ['ioredisConnection', 'nodeRedisConnection', 'redisBroker'],
    types: [
      'IoredisClientLike',
      'NodeRedisClientLike',
      'RedisBroker',
      'RedisBrokerOptions',
      'RedisClientLike',
      'RedisConnection',
    ],
  },
};

/** One published entry: its specifier and the built files `exports` points each condition to. */
interface Entry {
  specifier: string;
  esm: string;
  cjs: string;
  esmTypes: string;
  cjsTypes: string;
}

type Conditions = Record<'import' | 'require', { types: string; default: string }>;

function publishedEntries(): Entry[] {
  return publishedPackages().flatMap(({ folder, manifest }) =>
    Object.entries(manifest.exports as Record<string, Conditions | string>)
      .filter(([subpath]) => subpath !== './package.json')
      .map(([subpath, conditions]) => {
        const { import: esm, require: cjs } = conditions as Conditions;
        const file = (path: string) => join(root, folder, path);
        return {
          specifier: manifest.name + subpath.slice(1),
          esm: file(esm.default),
          cjs: file(cjs.default),
          esmTypes: file(esm.types),
          cjsTypes: file(cjs.types),
        };
      }),
  );
}

const entries = publishedEntries();

/** Throws, saying to build, when a built file is missing or older than its entry's sources. */
function assertBuilt(): void {
  for (const entry of entries) {
    for (const file of [entry.esm, entry.cjs, entry.esmTypes, entry.cjsTypes]) {
      if (!existsSync(file)) {
        throw new Error(
          `${file} is missing, so ${entry.specifier} was not checked. Run \`npm run build\` first.`,
        );
      }
    }
  }
  assertEveryDistCurrent();
}

/**
 * The runtime export names of every entry, by file, as `node` loads them: `import()` of the ESM
 * file and `require()` of the CommonJS one, in one child process (outside Vitest's resolver).
 */
function runtimeNames(): Map<string, string[]> {
  const files = entries.flatMap(({ esm, cjs }) => [esm, cjs]);
  const script = `
    const { pathToFileURL } = require('node:url');
    (async () => {
      const names = {};
      for (const file of ${JSON.stringify(files)}) {
        const entry = file.endsWith('.cjs') ? require(file) : await import(pathToFileURL(file).href);
        names[file] = Object.keys(entry).filter((name) => name !== 'default').sort();
      }
      process.stdout.write(JSON.stringify(names));
    })();`;
  const output = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  return new Map(Object.entries(JSON.parse(output) as Record<string, string[]>));
}

/** The names a declaration file exports, split into values and types only. */
function declaredNames(checker: ts.TypeChecker, file: ts.SourceFile): EntryExports {
  const module = checker.getSymbolAtLocation(file);
  if (module === undefined) throw new Error(`${file.fileName} is not a module`);
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
  }
  return { values: values.sort(), types: types.sort() };
}

/** The declared exports of every entry, by declaration file; ESM and CommonJS in two programs. */
function declarations(): Map<string, EntryExports> {
  const names = new Map<string, EntryExports>();
  for (const files of [entries.map((e) => e.esmTypes), entries.map((e) => e.cjsTypes)]) {
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    });
    const checker = program.getTypeChecker();
    for (const file of files) {
      const source = program.getSourceFile(file);
      if (source === undefined) throw new Error(`TypeScript did not load ${file}`);
      names.set(file, declaredNames(checker, source));
    }
  }
  return names;
}

assertBuilt();
const loaded = runtimeNames();
const declared = declarations();
const sorted = (names: string[]) => [...names].sort();

describe('the published entries', () => {
  it('are the pinned ones, no more and no fewer', () => {
    expect(entries.map(({ specifier }) => specifier).sort()).toEqual(Object.keys(PINNED).sort());
  });
});

describe.each(entries)('$specifier', (entry) => {
  const pinned = PINNED[entry.specifier] ?? { values: [], types: [] };

  it('exports the pinned values at runtime, from import and from require', () => {
    expect(loaded.get(entry.esm)).toEqual(sorted(pinned.values));
    expect(loaded.get(entry.cjs)).toEqual(sorted(pinned.values));
  });

  it('declares the pinned values and types, in .d.ts and .d.cts', () => {
    const expected = { values: sorted(pinned.values), types: sorted(pinned.types) };
    expect(declared.get(entry.esmTypes)).toEqual(expected);
    expect(declared.get(entry.cjsTypes)).toEqual(expected);
  });
});

/**
 * The names docs/api.md lists per entry: the first column of the table under each
 * `## @ssekit/...` heading (a cell may list several, `` `A`, `B` ``).
 */
function documentedNames(): Map<string, string[]> {
  const documented = new Map<string, string[]>();
  const markdown = readFileSync(join(root, 'docs/api.md'), 'utf8');
  for (const section of markdown.split(/^## /m).slice(1)) {
    const specifier = /^(@ssekit\/[\w/-]+)\n/.exec(section)?.[1];
    if (specifier === undefined) continue;
    const names = [...section.matchAll(/^\| ([^|]+) \|/gm)]
      .map(([, cell = '']) => cell)
      .filter((cell) => cell.startsWith('`'))
      .flatMap((cell) => [...cell.matchAll(/`(\w+)`/g)].map(([, name = '']) => name));
    documented.set(specifier, names.sort());
  }
  return documented;
}

describe('docs/api.md', () => {
  const documented = documentedNames();

  it('has a section for every entry and no other', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(PINNED).sort());
  });

  it.each(Object.entries(PINNED))('lists every export of %s, once', (specifier, pinned) => {
    expect(documented.get(specifier)).toEqual(sorted([...pinned.values, ...pinned.types]));
  });
});
