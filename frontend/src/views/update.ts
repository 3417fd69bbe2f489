// spark-vllm-docker: "N commits behind upstream", release notes, Apply Update with its build log.
import { html, css, nothing, type PropertyValues } from "lit";
import { SparkView, failure, generalError, type Failure } from "./base";

export class SparkUpdate extends SparkView {
  static properties = {
    ...SparkView.properties,
    _checking: { state: true },
    _fail: { state: true },
    _confirming: { state: true },
  };

  static styles = [
    SparkView.styles,
    css`
      section {
        display: grid;
        gap: 12px;
      }
      .banner {
        font-size: 16px;
        font-weight: 500;
      }
      ul {
        margin: 0;
        padding-left: 20px;
        font-family: var(--code-font-family, ui-monospace, monospace);
        font-size: 12px;
        overflow-wrap: anywhere;
      }
      li {
        padding: 2px 0;
      }
    `,
  ];

  private _checking = false;
  private _fail: Failure | null = null;
  private _confirming = false;

  protected updated(changed: PropertyValues): void {
    if (changed.has("snapshot")) {
      const log = this.renderRoot.querySelector<HTMLElement>("#update-log");
      if (log) log.scrollTop = log.scrollHeight;
    }
  }

  render() {
    const update = this.snapshot.update;
    const install = update.install;
    const running = install?.running ?? false;
    const behind = update.behind ?? 0;
    return html`
      <section class="card" aria-labelledby="update-title">
        <h2 id="update-title">${this.t("update.title")}</h2>
        ${update.behind === null
          ? html`<p class="muted">${this.t("update.not_checked")}</p>`
          : behind > 0
            ? html`<p class="notice banner" role="status" data-behind=${behind}>${this.t("update.behind", { count: behind })}</p>`
            : html`<p role="status" data-behind="0">${this.t("update.up_to_date")}</p>`}
        <p class="muted">
          ${this.t("update.installed", { commit: update.installed ?? "—" })} ·
          ${this.t("update.upstream", { commit: update.upstream ?? "—" })}
        </p>
        ${update.error ? html`<p class="error" role="alert">${update.error}</p>` : nothing}
        ${update.release_notes.length
          ? html`<h3>${this.t("update.release_notes")}</h3>
              <ul aria-label=${this.t("update.release_notes")}>
                ${update.release_notes.map((line) => html`<li>${line}</li>`)}
              </ul>`
          : nothing}
        ${generalError(this._fail)}
        <div class="row">
          <button ?disabled=${this._checking || running} @click=${() => this._check()}>
            ${this.t(this._checking ? "update.checking" : "update.check")}
          </button>
          ${this._confirming
            ? html`<span>${this.t("update.confirm")}</span>
                <button class="primary" @click=${() => this._apply()}>${this.t("update.apply_now")}</button>
                <button @click=${() => {
                  this._confirming = false;
                }}>${this.t("common.cancel")}</button>`
            : html`<button class="primary" ?disabled=${running || behind === 0 || update.behind === null}
                @click=${() => {
                  this._confirming = true;
                }}>${this.t("update.apply")}</button>`}
        </div>
      </section>
      ${install || this.snapshot.update_log.length
        ? html`<section class="card" aria-labelledby="build-title" style="margin-top:12px">
            <div class="row">
              <h2 id="build-title">${this.t("update.build_log")}</h2>
              <span class="spacer"></span>
              <span role="status" data-install=${running ? "running" : install?.error ? "failed" : "done"}>
                <span class="dot ${running ? "busy" : install?.error ? "bad" : "ok"}"></span>${this.t(
                  running ? "update.installing" : install?.error ? "update.install_failed" : "update.installed_ok",
                )}
              </span>
            </div>
            ${install?.error ? html`<p class="error" role="alert">${install.error}</p>` : nothing}
            <pre id="update-log" class="log" role="log" tabindex="0" aria-label=${this.t("update.build_log")}>${this.snapshot.update_log.join("\n")}</pre>
          </section>`
        : nothing}
    `;
  }

  private async _check(): Promise<void> {
    this._checking = true;
    this._fail = null;
    try {
      await this.api.updateCheck();
    } catch (err) {
      this._fail = failure(err);
    } finally {
      this._checking = false;
    }
  }

  private async _apply(): Promise<void> {
    this._confirming = false;
    this._fail = null;
    try {
      await this.api.updateApply();
    } catch (err) {
      this._fail = failure(err);
    }
  }
}

if (!customElements.get("spark-update")) customElements.define("spark-update", SparkUpdate);
