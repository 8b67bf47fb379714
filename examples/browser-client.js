/**
 * The built @ssekit/client for the examples' pages, without a bundler. A page marks where its
 * import map goes (`<!-- import map -->`, before its module script); `withImportMap` puts there
 * the map that sends `@ssekit/client` and its one dependency, eventsource-parser, to
 * `/vendor/...`; the server hands those requests to `vendorModule`, which answers them with the
 * packages' built ES modules as installed.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each `/vendor/<name>/` folder: the folder of the package's built entry. */
const FOLDERS = {
  'ssekit-client': dirname(fileURLToPath(import.meta.resolve('@ssekit/client'))),
  'eventsource-parser': dirname(fileURLToPath(import.meta.resolve('eventsource-parser'))),
};

const IMPORT_MAP = `<script type="importmap">${JSON.stringify({
  imports: {
    '@ssekit/client': '/vendor/ssekit-client/index.js',
    'eventsource-parser': '/vendor/eventsource-parser/index.js',
  },
})}</script>`;

/**
 * `html` with the import map in place of its `<!-- import map -->` marker.
 * @param {string} html
 */
export function withImportMap(html) {
  if (!html.includes('<!-- import map -->')) throw new Error('The page has no <!-- import map -->');
  return html.replace('<!-- import map -->', IMPORT_MAP);
}

/**
 * The module at `pathname` (`/vendor/<name>/<file>.js`) as `{ body, type }`, or undefined when
 * the path is not one of them (another route's, or a file outside those folders).
 * @param {string} pathname
 * @returns {Promise<{ body: string, type: string } | undefined>}
 */
export async function vendorModule(pathname) {
  const match = /^\/vendor\/([\w-]+)\/((?:[\w-]+\/)*[\w.-]+\.js)$/.exec(pathname);
  const folder = match && FOLDERS[/** @type {keyof typeof FOLDERS} */ (match[1])];
  if (!match || !folder || match[2]?.includes('..')) return undefined;
  try {
    const body = await readFile(join(folder, match[2] ?? ''), 'utf8');
    return { body, type: 'text/javascript; charset=utf-8' };
  } catch {
    return undefined;
  }
}
