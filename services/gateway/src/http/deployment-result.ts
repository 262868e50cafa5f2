import type { FastifyReply } from "fastify";

/** Marathon's header naming the deployment a change started. */
export const DEPLOYMENT_HEADER = "Marathon-Deployment-Id";

/**
 * Answers a change that started a deployment as Marathon's `RestResource.deploymentResult` does:
 * the `Marathon-Deployment-Id` header and `{"version", "deploymentId"}`, with `status` (200, or 201
 * with `location` when the change created the resource).
 */
export function sendDeploymentResult(
  reply: FastifyReply,
  ref: { deploymentId: string; version: string } | undefined,
  options: { status?: number; location?: string } = {},
): FastifyReply {
  const deploymentId = ref?.deploymentId ?? "";
  if (options.location) reply.header("Location", options.location);
  return reply
    .code(options.status ?? 200)
    .header(DEPLOYMENT_HEADER, deploymentId)
    .send({ version: ref?.version ?? "", deploymentId });
}

/**
 * A `Location` header value for the resource `id` under `prefix` (`/v2/apps`): each path segment
 * percent-encoded, so that whatever id a backend accepted can never make an invalid header.
 */
export function locationOf(prefix: string, id: string): string {
  return prefix + id.split("/").map((s) => encodeURIComponent(s.toWellFormed())).join("/");
}
