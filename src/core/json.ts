/**
 * Reading JSON from the network: an object or nothing, never a throw.
 *
 * @module
 */

/** The JSON object `text` holds, or `undefined` if it is not JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? parsed as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}
