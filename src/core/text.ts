/**
 * Checks on identifiers that end up in URLs, headers and form fields.
 *
 * @module
 */

// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// deno-lint-ignore no-control-regex -- finding control characters is the point
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/** Whether `value` holds a control character (CR, LF, NUL, DEL...). */
export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/** Whether `value` holds whitespace or a control character: never valid in a resource, scope or client id. */
export function hasSpaceOrControl(value: string): boolean {
  return SPACE_OR_CONTROL.test(value);
}
