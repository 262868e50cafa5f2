import { execFile } from "node:child_process";
import type { MetricPoint } from "../app/metrics-points.ts";

const QUERY = "index,uuid,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,power.draw";

/**
 * GPU metrics per device from `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` (tags
 * `gpu_index`, `gpu_uuid`): utilisation (percent), memory used/total (bytes), temperature (°C),
 * power draw (watts). Resolves [] when nvidia-smi is absent or fails (no GPUs is not an error);
 * a field reported as "[N/A]" is left out.
 */
export function readGpuMetrics(binary = "nvidia-smi", timeoutMs = 5_000): Promise<MetricPoint[]> {
  return new Promise((resolve) => {
    execFile(binary, [`--query-gpu=${QUERY}`, "--format=csv,noheader,nounits"], { timeout: timeoutMs }, (err, stdout) => resolve(err ? [] : parseGpuCsv(stdout)));
  });
}

/** Parses nvidia-smi's CSV rows (the QUERY fields in order). */
export function parseGpuCsv(csv: string): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const line of csv.split("\n")) {
    const f = line.split(",").map((s) => s.trim());
    if (f.length < 8 || f[0] === "") continue;
    const tags = { gpu_index: f[0]!, gpu_uuid: f[1]! };
    const add = (name: string, raw: string | undefined, unit: string, scale = 1) => {
      const v = Number(raw);
      if (raw !== undefined && raw !== "" && Number.isFinite(v)) out.push({ name, value: v * scale, unit, tags });
    };
    add("gpu.utilization", f[2], "percent");
    add("gpu.memory.utilization", f[3], "percent");
    add("gpu.memory.used", f[4], "bytes", 1024 * 1024);
    add("gpu.memory.total", f[5], "bytes", 1024 * 1024);
    add("gpu.temperature", f[6], "celsius");
    add("gpu.power.draw", f[7], "watts");
  }
  return out;
}
