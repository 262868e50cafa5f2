/**
 * An app's `container.volumes` as run-spec volumes and the container's mounts of them.
 */
import { create } from "@bufbuild/protobuf";
import { registryV1RunSpec as rs } from "@gantry/proto";
import type { AppVolume } from "../marathon/app.model.ts";
import { stringMap } from "./spec-parts.ts";

/** The run spec's volumes and the one container's mounts, index for index of `container.volumes`. */
export interface AppVolumeSpecs {
  volumes: rs.VolumeSpec[];
  mounts: rs.VolumeMountSpec[];
}

/**
 * Each volume becomes a VolumeSpec named `volume-<i>` (i = its index in `container.volumes`), or
 * after the external volume's name, plus a mount at its `containerPath` (read-only for `RO`):
 * persistent → PERSISTENT with its size (MB); external → EXTERNAL with name, provider, options and
 * size (0 when not given); otherwise HOST with its `hostPath`. An external volume mounted twice
 * is declared once.
 */
export function appVolumeSpecs(volumes: readonly AppVolume[]): AppVolumeSpecs {
  const out: AppVolumeSpecs = { volumes: [], mounts: [] };
  volumes.forEach((v, i) => {
    const name = v.external?.name ?? `volume-${i}`;
    if (!out.volumes.some((s) => s.name === name)) out.volumes.push(volumeSpec(name, v));
    out.mounts.push(create(rs.VolumeMountSpecSchema, { name, mountPath: v.containerPath, readOnly: v.mode === "RO" }));
  });
  return out;
}

function volumeSpec(name: string, v: AppVolume): rs.VolumeSpec {
  if (v.persistent !== undefined) return create(rs.VolumeSpecSchema, { name, kind: rs.VolumeKind.PERSISTENT, sizeMb: v.persistent.size });
  if (v.external !== undefined) {
    const e = v.external;
    return create(rs.VolumeSpecSchema, { name, kind: rs.VolumeKind.EXTERNAL, sizeMb: e.size ?? 0, provider: e.provider, options: stringMap(e.options) });
  }
  return create(rs.VolumeSpecSchema, { name, kind: rs.VolumeKind.HOST, hostPath: v.hostPath ?? "" });
}
