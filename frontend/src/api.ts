// A thin typed client for the integration's websocket API (docs/panel-api.md).
import type { Hass } from "./hass";

export type EntryState =
  | "loaded"
  | "setup_error"
  | "setup_retry"
  | "not_loaded"
  | "failed_unload"
  | "setup_in_progress"
  | "migration_error";

export interface EntrySummary {
  entry_id: string;
  title: string;
  state: EntryState | string;
}

export interface NodeStatus {
  reachable: boolean;
  problem: string | null;
  detail: string | null;
}

export interface ServiceStatus {
  container_state: string | null;
  ready: boolean | null;
  model: string | null;
  base_url: string | null;
  controllable: boolean;
}

export interface ClusterStatus {
  available: boolean;
  error: string | null;
  nodes: Record<string, NodeStatus>;
  vllm: {
    ready: boolean | null;
    model: string | null;
    base_url: string | null;
    max_model_len: number | null;
    failure: string | null;
  };
  services: Record<string, ServiceStatus>;
  addon: { url: string; ready: boolean | null } | null;
  checkout: { commit: string | null; dialect: string | null } | null;
}

export type SwapStateName = "idle" | "stopping" | "launching" | "loading" | "ready" | "failed";

export interface SwapStatus {
  running: boolean;
  state: SwapStateName | string;
  model: string | null;
  last_log_line: string | null;
  shard_percent: number | null;
  stalled: boolean;
  error: string | null;
  failure: string | null;
}

export interface ModelSettings {
  max_model_len: number | null;
  gpu_memory_utilization: number | null;
  fastsafetensors: boolean;
  prefix_caching: boolean | null;
  fp8_kv_cache: boolean;
  [other: string]: unknown;
}

export type LaunchMode = "solo" | "cluster";

export interface CatalogModel {
  key: string;
  name: string;
  repo_id: string;
  mode: LaunchMode;
  builtin: boolean;
  settings: ModelSettings;
}

export interface DownloadStatus {
  running: boolean;
  repo_id: string;
  target: LaunchMode;
  state: "idle" | "running" | "completed" | "failed" | "cancelled" | string;
  percent: number | null;
  bytes_done: number | null;
  bytes_total: number | null;
  rate_bps: number | null;
  eta_s: number | null;
  error: string | null;
  in_catalog: boolean;
}

export interface UpdateStatus {
  installed: string | null;
  upstream: string | null;
  behind: number | null;
  release_notes: string[];
  error: string | null;
  install: { running: boolean; error: string | null; log_lines: number } | null;
}

export interface HealthEvent {
  time: string;
  kind: "report" | "transition" | string;
  service: string;
  ok: boolean;
  source: string | null;
  error: string | null;
  ms: number | null;
  changed: boolean;
}

export interface HealthStatus {
  failures: Record<string, number>;
  verdicts: Record<string, boolean>;
  log: HealthEvent[];
}

export interface Snapshot {
  entry_id: string;
  title: string;
  status: ClusterStatus;
  swap: SwapStatus;
  swap_log: string[];
  catalog: CatalogModel[];
  download: DownloadStatus | null;
  update: UpdateStatus;
  update_log: string[];
  health: HealthStatus;
}

export type PanelEvent =
  | { kind: "snapshot"; snapshot: Snapshot }
  | { kind: "status"; status: ClusterStatus }
  | { kind: "swap"; swap: SwapStatus }
  | { kind: "swap_log"; lines: string[]; reset: boolean }
  | { kind: "catalog"; catalog: CatalogModel[] }
  | { kind: "download"; download: DownloadStatus }
  | { kind: "update"; update: UpdateStatus }
  | { kind: "update_log"; lines: string[]; reset: boolean }
  | {
      kind: "health";
      event: HealthEvent;
      failures: Record<string, number>;
      verdicts: Record<string, boolean>;
    }
  | { kind: "closed"; reason: string };

export const MAX_LOG_LINES = 500;
export const MAX_HEALTH_EVENTS = 200;

function appendLines(current: string[], lines: string[], reset: boolean): string[] {
  const next = reset ? [...lines] : current.concat(lines);
  return next.length > MAX_LOG_LINES ? next.slice(next.length - MAX_LOG_LINES) : next;
}

/** The snapshot after one event (a new object, so lit sees the change); null when closed. */
export function applyEvent(snapshot: Snapshot | null, event: PanelEvent): Snapshot | null {
  if (event.kind === "snapshot") return event.snapshot;
  if (event.kind === "closed" || snapshot === null) return null;
  switch (event.kind) {
    case "status":
      return { ...snapshot, status: event.status };
    case "swap":
      return { ...snapshot, swap: event.swap };
    case "swap_log":
      return { ...snapshot, swap_log: appendLines(snapshot.swap_log, event.lines, event.reset) };
    case "catalog":
      return { ...snapshot, catalog: event.catalog };
    case "download":
      return { ...snapshot, download: event.download };
    case "update":
      return { ...snapshot, update: event.update };
    case "update_log":
      return {
        ...snapshot,
        update_log: appendLines(snapshot.update_log, event.lines, event.reset),
      };
    case "health":
      return {
        ...snapshot,
        health: {
          failures: event.failures,
          verdicts: event.verdicts,
          log: [event.event, ...snapshot.health.log].slice(0, MAX_HEALTH_EVENTS),
        },
      };
    default:
      return snapshot; // a kind this panel does not know yet
  }
}

export interface ValidateResult {
  valid: boolean;
  errors: Record<string, string>;
  in_catalog: boolean;
}

export type ServiceAction = "start" | "stop" | "restart";

/** Commands for one config entry; every call rejects with HA's error object on failure. */
export class SparkApi {
  constructor(
    private readonly hass: Hass,
    readonly entryId: string,
  ) {}

  static entries(hass: Hass): Promise<{ entries: EntrySummary[] }> {
    return hass.callWS({ type: "spark_control/entries" });
  }

  private call<T>(type: string, fields: Record<string, unknown> = {}): Promise<T> {
    return this.hass.callWS<T>({ type: `spark_control/${type}`, entry_id: this.entryId, ...fields });
  }

  subscribe(onEvent: (event: PanelEvent) => void): Promise<() => Promise<void>> {
    return this.hass.connection.subscribeMessage<PanelEvent>(onEvent, {
      type: "spark_control/subscribe",
      entry_id: this.entryId,
    });
  }

  swap(model: string): Promise<null> {
    return this.call("swap", { model });
  }

  download(fields: {
    repo_id: string;
    target: LaunchMode;
    revision?: string;
    add_to_catalog?: boolean;
    name?: string;
  }): Promise<null> {
    return this.call("download", fields);
  }

  cancelDownload(): Promise<null> {
    return this.call("cancel_download");
  }

  validateRepo(repoId: string, revision?: string): Promise<ValidateResult> {
    return this.call("validate_repo", revision ? { repo_id: repoId, revision } : { repo_id: repoId });
  }

  addModel(repoId: string, name: string | undefined, target: LaunchMode): Promise<{ model: CatalogModel }> {
    return this.call("add_model", name ? { repo_id: repoId, name, target } : { repo_id: repoId, target });
  }

  removeModel(model: string): Promise<null> {
    return this.call("remove_model", { model });
  }

  modelSettings(model: string, settings: Partial<ModelSettings>): Promise<{ model: CatalogModel }> {
    return this.call("model_settings", { model, ...settings });
  }

  service(service: string, action: ServiceAction): Promise<{ service: ServiceStatus }> {
    return this.call("service", { service, action });
  }

  updateCheck(): Promise<{ update: UpdateStatus }> {
    return this.call("update_check");
  }

  updateApply(): Promise<null> {
    return this.call("update_apply");
  }
}
