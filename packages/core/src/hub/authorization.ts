/**
 * Authorization on subscribe: the hub asks the application's `authorize(topic, context)` about
 * every topic of every `subscribe` call, a resume included, before anything of that topic is
 * replayed or delivered. A topic refused (or whose check throws) gets the denied signal and
 * nothing else; the others go on as usual.
 */
import { isPromiseLike } from '../promise-like.js';

/** The application's decision for one topic; may be async (a database or token lookup). */
export type Authorize<Context> = (topic: string, context: Context) => boolean | Promise<boolean>;

/**
 * Whether each of `topics` is allowed, in order: at once when every answer is synchronous, else
 * once all have settled. A check that throws or rejects is a refusal, reported to `onError`.
 */
export function decide<Context>(
  authorize: Authorize<Context>,
  topics: readonly string[],
  context: Context,
  onError: (error: unknown) => void,
): boolean[] | Promise<boolean[]> {
  const answers = topics.map((topic): boolean | Promise<boolean> => {
    try {
      const answer = authorize(topic, context);
      return isPromiseLike(answer)
        ? Promise.resolve(answer).then(isTrue, refuse(onError))
        : isTrue(answer);
    } catch (error) {
      onError(error);
      return false;
    }
  });
  return answers.some(isPromiseLike) ? Promise.all(answers) : (answers as boolean[]);
}

/** Only `true` allows: a check that returns `undefined` by mistake refuses. */
function isTrue(answer: unknown): boolean {
  return answer === true;
}

function refuse(onError: (error: unknown) => void): (error: unknown) => false {
  return (error) => {
    onError(error);
    return false;
  };
}

/** What {@link whenAuthorized} needs of the hub for one `subscribe` call. */
export interface Admission {
  onError: (error: unknown) => void;
  /** `false` once the stream closed: nothing to start. */
  stillWanted: () => boolean;
  /** The decision is async: the stream waits on it until the returned function is called. */
  waiting: () => () => void;
  /** Starts what was allowed; returns what undoes it. */
  admit: (allowed: boolean[]) => () => void;
}

/**
 * Decides `topics`, then admits: at once when `authorize` answered synchronously, else when its
 * answers settle. Returns what undoes the call, also while the decision is pending.
 */
export function whenAuthorized<Context>(
  authorize: Authorize<Context>,
  topics: readonly string[],
  context: Context,
  admission: Admission,
): () => void {
  const verdicts = decide(authorize, topics, context, admission.onError);
  if (!isPromiseLike(verdicts)) return admission.admit(verdicts);
  const settled = admission.waiting();
  let undo: (() => void) | undefined;
  let cancelled = false;
  verdicts.then((allowed) => {
    settled();
    if (cancelled || !admission.stillWanted()) return;
    // Thrown here, the error would be an unhandled rejection: it goes where the hub's errors go.
    try {
      undo = admission.admit(allowed);
    } catch (error) {
      admission.onError(error);
    }
  });
  return () => {
    cancelled = true;
    settled();
    undo?.();
  };
}
