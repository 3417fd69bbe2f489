// The connectivity log: health reports from LAN apps and the poll's transitions, newest first.
import { html, css, nothing } from "lit";
import type { HealthEvent } from "../api";
import { time } from "../format";
import { SparkView } from "./base";

export class SparkConnectivity extends SparkView {
  static properties = { ...SparkView.properties, _filter: { state: true } };

  static styles = [
    SparkView.styles,
    css`
      ol {
        list-style: none;
        margin: 12px 0 0;
        padding: 0;
        display: grid;
        gap: 8px;
      }
      li {
        display: grid;
        gap: 2px;
        padding: 8px 0;
        border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
        overflow-wrap: anywhere;
      }
      .filter {
        max-width: 280px;
      }
    `,
  ];

  private _filter = "";

  render() {
    const log = this.snapshot.health.log;
    const services = [...new Set(log.map((e) => e.service))].sort();
    const shown = this._filter ? log.filter((e) => e.service === this._filter) : log;
    return html`
      <section class="card" aria-labelledby="conn-title">
        <div class="row">
          <h2 id="conn-title">${this.t("connectivity.title")}</h2>
          <span class="spacer"></span>
          <label class="filter">${this.t("connectivity.filter")}
            <select name="service_filter" .value=${this._filter}
              @change=${(ev: Event) => {
                this._filter = (ev.target as HTMLSelectElement).value;
              }}>
              <option value="" ?selected=${this._filter === ""}>${this.t("connectivity.all")}</option>
              ${services.map((s) => html`<option value=${s} ?selected=${this._filter === s}>${s}</option>`)}
            </select>
          </label>
        </div>
        ${shown.length
          ? html`<ol aria-label=${this.t("connectivity.title")}>${shown.map((e) => this._item(e))}</ol>`
          : html`<p class="muted">${this.t("connectivity.empty")}</p>`}
      </section>
    `;
  }

  private _item(e: HealthEvent) {
    const what = e.kind === "transition"
      ? this.t(e.ok ? "connectivity.came_back" : "connectivity.went_down", { service: e.service })
      : this.t(e.ok ? "connectivity.report_ok" : "connectivity.report_failed", {
          service: e.service,
          source: e.source ?? "—",
        });
    return html`<li data-service=${e.service} data-kind=${e.kind}>
      <div class="row">
        <span class="dot ${e.ok ? "ok" : "bad"}"></span>
        <strong>${what}</strong>
        <span class="spacer"></span>
        <time class="muted" datetime=${e.time}>${time(e.time, this.language)}</time>
      </div>
      ${e.error ? html`<span>${e.error}</span>` : nothing}
      ${e.ms !== null ? html`<span class="muted">${this.t("connectivity.latency", { ms: Math.round(e.ms) })}</span>` : nothing}
    </li>`;
  }
}

if (!customElements.get("spark-connectivity")) customElements.define("spark-connectivity", SparkConnectivity);
