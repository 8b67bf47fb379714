/**
 * The hub's default deserializer: stored data text back into a value for filters. JSON when it
 * parses (what the default serializer wrote), else the text itself (a string published as is).
 */
export function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
