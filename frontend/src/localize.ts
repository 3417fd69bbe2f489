// English strings come from the integration's translations (strings.json, category config_panel).
import type { Hass, Localize } from "./hass";

export const DOMAIN = "spark_control";
const PREFIX = `component.${DOMAIN}.config_panel.`;

export type Translate = (key: string, values?: Record<string, string | number>) => string;

/** Load the panel's strings once; `t("models.load")` then reads them (the key if one is missing). */
export async function loadStrings(hass: Hass): Promise<Translate> {
  const localize: Localize = await hass.loadBackendTranslation("config_panel", DOMAIN);
  return (key, values) => localize(PREFIX + key, values) || key;
}

/** A message for a websocket error: the backend's translated text when it sent one. */
export function errorText(err: unknown): string {
  if (typeof err === "object" && err !== null && "message" in err) {
    return String((err as { message: unknown }).message);
  }
  return String(err);
}
