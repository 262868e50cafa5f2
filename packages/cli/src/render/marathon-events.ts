/** The Marathon event types the gateway's event stream carries. */
export const MARATHON_EVENT_TYPES: readonly string[] = [
  "status_update_event",
  "instance_changed_event",
  "health_status_changed_event",
  "failed_health_check_event",
  "unhealthy_instance_kill_event",
  "api_post_event",
  "pod_created_event",
  "pod_updated_event",
  "pod_deleted_event",
  "deployment_info",
  "deployment_step_success",
  "deployment_success",
  "deployment_failed",
  "group_change_success",
  "group_change_failed",
  "app_terminated_event",
];

/** `2026-…Z  status_update_event  /web web.1 TASK_RUNNING on host`: one event as a line. */
export function describeMarathonEvent(type: string, p: Record<string, any>): string {
  const what = (() => {
    switch (type) {
      case "status_update_event":
        return `${p.appId} ${p.taskId} ${p.taskStatus} on ${p.host}${p.message ? `: ${p.message}` : ""}`;
      case "instance_changed_event":
        return `${p.runSpecId} ${p.instanceId} ${p.condition}`;
      case "health_status_changed_event":
        return `${p.appId} ${p.taskId} ${p.alive ? "healthy" : "unhealthy"}`;
      case "failed_health_check_event":
      case "unhealthy_instance_kill_event":
        return `${p.appId} ${p.taskId}${p.message || p.reason ? `: ${p.message || p.reason}` : ""}`;
      case "api_post_event":
      case "pod_created_event":
      case "pod_updated_event":
      case "pod_deleted_event":
        return String(p.uri);
      case "deployment_info":
      case "deployment_step_success":
        return `${p.plan?.id} ${(p.currentStep?.actions ?? []).map((a: Record<string, string>) => `${a.action} ${a.app ?? a.pod}`).join(", ")}`;
      case "deployment_success":
      case "deployment_failed":
        return `${p.id}${p.reason ? `: ${p.reason}` : ""}`;
      case "group_change_success":
      case "group_change_failed":
        return `${p.groupId} ${p.version}${p.reason ? `: ${p.reason}` : ""}`;
      case "app_terminated_event":
        return String(p.appId);
      default:
        return JSON.stringify(p);
    }
  })();
  return `${p.timestamp ?? ""}  ${type}  ${what}`;
}
