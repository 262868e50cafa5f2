import type { DescService } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { Permissions } from "../grpc/types.ts";

/**
 * Rules that let any authenticated caller call every method of `service`: for test services whose
 * subject is not authorisation. Production services declare their rules (see bindService).
 */
export function openToAuthenticated<S extends GenService<GenServiceMethods>>(service: S): Permissions<S> {
  const rules: Record<string, () => []> = {};
  for (const method of (service as unknown as DescService).methods) rules[method.localName] = () => [];
  return rules as unknown as Permissions<S>;
}
