/**
 * Whether a document's links lead somewhere, without going online: relative links and links to
 * our own repository must name a file (and a heading, for `#anchor`) that exists here; other web
 * links must be well-formed. A package's README and docs are read on the npm page and in
 * node_modules, so their relative links must stay inside what the package ships.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { anchorsIn, linksIn } from './markdown.js';
import {
  isShipped,
  type PublishedPackage,
  publishedPackages,
  repositoryHome,
  root,
} from './repository.js';

/** What is wrong with each broken link of `document` (a path relative to the root), one line each. */
export function brokenLinks(
  document: string,
  markdown = readFileSync(join(root, document), 'utf8'),
): string[] {
  const owner = publishedPackages().find(({ folder }) => document.startsWith(`${folder}/`));
  return linksIn(markdown).flatMap((link) => {
    const problem = problemWith(link, document, markdown, owner);
    return problem === undefined ? [] : [`${link}: ${problem}`];
  });
}

function problemWith(
  link: string,
  document: string,
  markdown: string,
  owner: PublishedPackage | undefined,
): string | undefined {
  if (link.startsWith('#')) {
    return anchorsIn(markdown).has(link.slice(1)) ? undefined : `${document} has no such heading`;
  }
  const scheme = /^([a-z][a-z\d+.-]*):/i.exec(link)?.[1]?.toLowerCase();
  if (scheme === undefined) return relativeProblem(link, document, owner);
  if (scheme === 'mailto') {
    return /^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/.test(link) ? undefined : 'not a valid address';
  }
  if (scheme !== 'http' && scheme !== 'https') return `the ${scheme}: scheme is not a web link`;
  if (!URL.canParse(link) || !new URL(link).hostname.includes('.')) return 'not a well-formed URL';
  const home = repositoryHome();
  return link.startsWith(`${home}/`)
    ? ownRepositoryProblem(link.slice(home.length + 1))
    : undefined;
}

/** A link into our repository on GitHub: `blob/main/<path>` or `tree/main/<path>` must exist here. */
function ownRepositoryProblem(rest: string): string | undefined {
  const [, kind, branch, path] = /^(blob|tree)\/([^/]+)\/([^#?]+)/.exec(rest) ?? [];
  if (kind === undefined) return undefined;
  if (branch !== 'main') return `points at the branch "${branch}"; the docs link main`;
  return targetProblem(decodeURIComponent(path ?? ''), anchorOf(rest));
}

function relativeProblem(
  link: string,
  document: string,
  owner: PublishedPackage | undefined,
): string | undefined {
  const target = relative(
    root,
    join(root, dirname(document), decodeURIComponent(link.split(/[#?]/)[0] ?? '')),
  );
  if (target.startsWith('..')) return 'leads outside the repository';
  if (owner !== undefined) {
    const inPackage = relative(join(root, owner.folder), join(root, target));
    if (inPackage.startsWith('..') || !isShipped(owner.manifest, inPackage)) {
      return (
        `${owner.manifest.name} does not ship ${target}, so the link breaks on the npm page: ` +
        `link ${repositoryHome()}/blob/main/${target} instead`
      );
    }
  }
  return targetProblem(target, anchorOf(link));
}

function anchorOf(link: string): string | undefined {
  const hash = link.indexOf('#');
  return hash === -1 ? undefined : link.slice(hash + 1);
}

/** `path` (relative to the root) must exist; with an anchor, its Markdown must have that heading. */
function targetProblem(path: string, anchor: string | undefined): string | undefined {
  const absolute = join(root, path);
  if (!existsSync(absolute)) return `${path} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  const markdown = statSync(absolute).isDirectory() ? join(absolute, 'README.md') : absolute;
  if (!markdown.endsWith('.md') || !existsSync(markdown)) return undefined;
  return anchorsIn(readFileSync(markdown, 'utf8')).has(anchor)
    ? undefined
    : `${relative(root, markdown)} has no heading for #${anchor}`;
}
