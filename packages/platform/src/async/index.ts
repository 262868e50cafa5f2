export { delay } from "./delay.ts";
export { pushable } from "./pushable.ts";
export type { Pushable } from "./pushable.ts";
