/**
 * `resume: 'session'`: the last id kept in sessionStorage, per URL, so that a page reload resumes
 * where the page was. Where there is no sessionStorage (or it refuses, as in some private modes,
 * even on reading the global) the client goes on without it.
 */

const keyOf = (url: string) => `ssekit:last-event-id:${url}`;

/** The id kept for `url`; null or undefined when there is none (or no sessionStorage). */
export function loadPosition(url: string): string | null | undefined {
  try {
    return globalThis.sessionStorage?.getItem(keyOf(url));
  } catch {}
}

export function savePosition(url: string, id: string): void {
  try {
    globalThis.sessionStorage?.setItem(keyOf(url), id);
  } catch {}
}
