import type { Metadata } from "@grpc/grpc-js";

/** Request metadata as a flat record: lower-case keys, first value of each, `-bin` values base64. */
export function flattenMetadata(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    out[key] = typeof value === "string" ? value : Buffer.from(value).toString("base64");
  }
  return out;
}
