export { GantryError, invalidObject, hasCode } from "./gantry-error.ts";
export type { ErrorCode, FieldViolation } from "./gantry-error.ts";
