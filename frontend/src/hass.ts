// The few parts of Home Assistant's frontend objects the panel uses (types only, erased at build).

export interface HassConnection {
  sendMessagePromise<T>(message: Record<string, unknown>): Promise<T>;
  subscribeMessage<T>(
    callback: (event: T) => void,
    message: Record<string, unknown>,
    options?: { resubscribe?: boolean },
  ): Promise<() => Promise<void>>;
}

export type Localize = (key: string, values?: Record<string, string | number>) => string;

export interface Hass {
  connection: HassConnection;
  callWS<T>(message: Record<string, unknown>): Promise<T>;
  loadBackendTranslation(category: string, integration?: string): Promise<Localize>;
  localize: Localize;
  language: string;
  themes?: { darkMode?: boolean };
  user?: { is_admin: boolean; name: string };
  dockedSidebar?: string;
}

export interface PanelInfo {
  url_path: string;
  config: { domain?: string };
}

export interface Route {
  prefix: string;
  path: string;
}

/** The `{code, message, translation_*}` object a failed websocket command rejects with. */
export interface WsError {
  code: string;
  message: string;
  translation_key?: string;
  translation_domain?: string;
  translation_placeholders?: Record<string, string>;
}

export function isWsError(value: unknown): value is WsError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}
