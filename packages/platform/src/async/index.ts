export { delay } from "./delay.ts";
