// Parakeet, Magpie and the diarizer: health, and Start/Stop/Restart where the container is ours.
import { html, css, nothing } from "lit";
import type { ServiceAction, ServiceStatus } from "../api";
import { SparkView, failure, type Failure } from "./base";

const ORDER = ["parakeet", "magpie", "diarizer"];

export class SparkServices extends SparkView {
  static properties = {
    ...SparkView.properties,
    _pending: { state: true },
    _fail: { state: true },
  };

  static styles = [
    SparkView.styles,
    css`
      .service {
        display: grid;
        gap: 8px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 4px 12px;
        margin: 0;
      }
      dt {
        color: var(--secondary-text-color, #727272);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  private _pending: string | null = null;
  private _fail: { service: string; failure: Failure } | null = null;

  render() {
    const services = this.snapshot.status.services;
    const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
    const names = Object.keys(services).sort((a, b) => rank(a) - rank(b));
    const addon = this.snapshot.status.addon;
    return html`
      <div class="grid" role="list" aria-label=${this.t("services.title")}>
        ${names.map((name) => this._renderService(name, services[name]))}
        ${addon
          ? html`<article class="card service" role="listitem" aria-labelledby="svc-addon">
              <h3 id="svc-addon">${this.t("services.addon")}</h3>
              ${this._health(addon.ready)}
              <dl><dt>${this.t("services.address")}</dt><dd>${addon.url}</dd></dl>
              <p class="muted">${this.t("services.addon_hint")}</p>
            </article>`
          : nothing}
      </div>
    `;
  }

  private _health(ready: boolean | null) {
    const [dot, key] = ready === true ? ["ok", "ready"] : ready === false ? ["bad", "not_ready"] : ["", "unknown"];
    return html`<div data-health=${key}><span class="dot ${dot}"></span>${this.t(`services.${key}`)}</div>`;
  }

  private _renderService(name: string, service: ServiceStatus) {
    const title = this.t(`services.${name}`);
    const busy = this._pending !== null && this._pending.startsWith(`${name}:`);
    const actions: ServiceAction[] = ["start", "stop", "restart"];
    const fail = this._fail?.service === name ? this._fail.failure : null;
    return html`
      <article class="card service" role="listitem" aria-labelledby=${`svc-${name}`} data-service=${name}>
        <h3 id=${`svc-${name}`}>${title}</h3>
        ${this._health(service.ready)}
        <dl>
          <dt>${this.t("services.container")}</dt><dd data-container>${service.container_state ?? "—"}</dd>
          ${service.model ? html`<dt>${this.t("services.model")}</dt><dd>${service.model}</dd>` : nothing}
          ${service.base_url ? html`<dt>${this.t("services.address")}</dt><dd>${service.base_url}</dd>` : nothing}
        </dl>
        ${service.controllable
          ? html`<div class="row">
              ${actions.map(
                (action) => html`<button ?disabled=${busy}
                  aria-label=${this.t(`services.${action}_named`, { name: title })}
                  @click=${() => this._run(name, action)}>${this.t(`services.${action}`)}</button>`,
              )}
            </div>`
          : html`<p class="muted">${this.t("services.not_controllable")}</p>`}
        ${busy ? html`<p role="status">${this.t("services.working")}</p>` : nothing}
        ${fail ? html`<p class="error" role="alert">${fail.message}</p>` : nothing}
      </article>
    `;
  }

  private async _run(name: string, action: ServiceAction): Promise<void> {
    this._pending = `${name}:${action}`;
    this._fail = null;
    try {
      await this.api.service(name, action);
    } catch (err) {
      this._fail = { service: name, failure: failure(err) };
    } finally {
      this._pending = null;
    }
  }
}

if (!customElements.get("spark-services")) customElements.define("spark-services", SparkServices);
