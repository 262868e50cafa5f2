/**
 * Gantry's methods that only read, by their names: `List…`, `Get…`, `Watch…`, `Follow…`,
 * `Query…`, `Aggregate…`, `Explain…`, `Range`, `Latest`, `WhoAmI` (every other verb changes
 * something: Create, Update, Delete, Kill, Grant, Login, …). `forwarded-writes.test.ts` checks
 * every method the gateway forwards against this rule.
 */
const READ_ONLY = /^(List|Get|Watch|Follow|Query|Aggregate|Explain)[A-Z]|^(Range|Latest|WhoAmI)$/;

/**
 * Whether a forwarded call may have changed what the backends answer: after one, the HTTP reads'
 * held lists are asked for again (`HeldAnswers.invalidate`). A read ending leaves them as they are,
 * so that `gantry app list` or a log follow does not make the next `GET /v2/apps` ask.
 */
export function mayWrite(method: { name: string }): boolean {
  return !READ_ONLY.test(method.name);
}
