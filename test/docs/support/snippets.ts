/** Finding the TypeScript code blocks of a Markdown file, with where each one starts. */

/** One fenced block: its code (de-indented) and where it is. */
export interface Snippet {
  /** The Markdown file, relative to the repository. */
  markdown: string;
  /** The 1-based line of the block's first line of code. */
  firstLine: number;
  code: string;
}

const OPENING = /^(\s*)```(\S*)(.*)$/;
const CHECKED = new Set(['ts', 'typescript']);
/**
 * The fence tag of a block that is only part of a program and is not compiled, followed by why:
 * ```` ```ts fragment: in a React component, with the client above ````.
 */
export const FRAGMENT_TAG = 'fragment';
const FRAGMENT = new RegExp(`^${FRAGMENT_TAG}\\b`);

/** The ```ts / ```typescript blocks of `text`, except those tagged {@link FRAGMENT_TAG}. */
export function extractTypeScriptBlocks(markdown: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const opening = OPENING.exec(lines[i] as string);
    if (opening === null) continue;
    const [, indent = '', language = '', info = ''] = opening;
    const close = lines.findIndex((line, j) => j > i && line.trim() === '```');
    const end = close === -1 ? lines.length : close;
    if (CHECKED.has(language) && !FRAGMENT.test(info.trim())) {
      const code = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
        .join('\n');
      snippets.push({ markdown, firstLine: i + 2, code });
    }
    i = end;
  }
  return snippets;
}
