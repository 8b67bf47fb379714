/**
 * What a Markdown document links to and which anchors it offers, read the way GitHub and the npm
 * page render it: code (fenced blocks and `inline spans`) is text, not links, and a heading's
 * anchor is GitHub's slug of its text.
 */

/** The document with fenced code blocks and inline code spans blanked out, line count kept. */
function withoutCode(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined && marker !== undefined) {
        fence = marker[0];
        return '';
      }
      if (fence !== undefined) {
        if (marker?.[0] === fence) fence = undefined;
        return '';
      }
      return line.replace(/(`+)[^`]*?\1/g, '');
    })
    .join('\n');
}

/**
 * Every link destination in `markdown`: inline links and images `[text](target "title")`,
 * reference definitions `[name]: target`, and `href`/`src` attributes of inline HTML.
 */
export function linksIn(markdown: string): string[] {
  const text = withoutCode(markdown);
  const patterns = [
    /\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g,
    /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm,
    /\s(?:href|src)\s*=\s*["']([^"']+)["']/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1] ?? ''));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces turned into hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors `markdown` offers: one per heading (repeats get `-1`, `-2`…), plus HTML ids. */
export function anchorsIn(markdown: string): Set<string> {
  const text = withoutCode(markdown);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of text.matchAll(/^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/gm)) {
    const base = slug(match[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of text.matchAll(/<a\s[^>]*(?:id|name)\s*=\s*["']([^"']+)["']/g)) {
    anchors.add(match[1] ?? '');
  }
  return anchors;
}
