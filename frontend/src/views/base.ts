// What every view gets from the panel: the entry's client, its live snapshot and the strings.
import { LitElement, html, nothing, type CSSResultGroup, type TemplateResult } from "lit";
import type { Snapshot, SparkApi } from "../api";
import { isWsError } from "../hass";
import type { Translate } from "../localize";
import { shared } from "../styles";

export class SparkView extends LitElement {
  static properties = {
    api: { attribute: false },
    snapshot: { attribute: false },
    t: { attribute: false },
    language: { attribute: false },
  };

  static styles: CSSResultGroup = [shared];

  api!: SparkApi;
  snapshot!: Snapshot;
  t: Translate = (key) => key;
  language = "en";
}

/** A failed command: the message for one field (`field` placeholder) or for the whole form. */
export interface Failure {
  field: string | null;
  message: string;
}

export function failure(err: unknown): Failure {
  if (isWsError(err)) {
    const field = err.translation_placeholders?.field ?? null;
    return { field, message: err.message };
  }
  return { field: null, message: String(err) };
}

/** The error box for a failure that names no field (`role=alert` so it is announced). */
export function generalError(fail: Failure | null, fields: string[] = []): TemplateResult | typeof nothing {
  if (!fail || (fail.field !== null && fields.includes(fail.field))) return nothing;
  return html`<p class="error" role="alert">${fail.message}</p>`;
}

/** The error under one field, linked to it through aria-describedby. */
export function fieldError(fail: Failure | null, field: string, id: string): TemplateResult | typeof nothing {
  if (!fail || fail.field !== field) return nothing;
  return html`<span class="field-error" id=${id} role="alert">${fail.message}</span>`;
}
