/** The text of whatever was thrown, for quoting a cause inside one of our messages. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
