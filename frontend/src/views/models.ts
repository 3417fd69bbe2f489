// Model cards (bundled and custom), Load → confirm → live swap log, per-model Advanced settings.
import { html, css, nothing, type PropertyValues } from "lit";
import type { CatalogModel, ModelSettings } from "../api";
import { SparkView, failure, fieldError, generalError, type Failure } from "./base";

type Draft = {
  max_model_len: string;
  gpu_memory_pct: string;
  fastsafetensors: boolean;
  prefix_caching: "default" | "on" | "off";
  fp8_kv_cache: boolean;
};

function draftOf(settings: ModelSettings): Draft {
  return {
    max_model_len: settings.max_model_len === null ? "" : String(settings.max_model_len),
    gpu_memory_pct:
      settings.gpu_memory_utilization === null
        ? ""
        : String(Math.round(settings.gpu_memory_utilization * 1000) / 10),
    fastsafetensors: settings.fastsafetensors,
    prefix_caching:
      settings.prefix_caching === null ? "default" : settings.prefix_caching ? "on" : "off",
    fp8_kv_cache: settings.fp8_kv_cache,
  };
}

/** The form's values as the command wants them; text that is not a number goes as text (the
 *  backend refuses it at its field, like any other bad value). */
function changesOf(draft: Draft): Partial<ModelSettings> {
  const number = (text: string, scale = 1): number | string | null => {
    const trimmed = text.trim();
    if (trimmed === "") return null;
    const n = Number(trimmed);
    return Number.isFinite(n) ? Math.round((n / scale) * 10000) / 10000 : trimmed;
  };
  return {
    max_model_len: number(draft.max_model_len) as number | null,
    gpu_memory_utilization: number(draft.gpu_memory_pct, 100) as number | null,
    fastsafetensors: draft.fastsafetensors,
    prefix_caching: draft.prefix_caching === "default" ? null : draft.prefix_caching === "on",
    fp8_kv_cache: draft.fp8_kv_cache,
  };
}

export class SparkModels extends SparkView {
  static properties = {
    ...SparkView.properties,
    _confirm: { state: true },
    _editing: { state: true },
    _draft: { state: true },
    _saving: { state: true },
    _saved: { state: true },
    _fail: { state: true },
    _swapFail: { state: true },
    _showLog: { state: true },
  };

  static styles = [
    SparkView.styles,
    css`
      .model h3 {
        overflow-wrap: anywhere;
      }
      .model.loaded {
        border: 2px solid var(--primary-color, #03a9f4);
      }
      .repo {
        font-family: var(--code-font-family, ui-monospace, monospace);
        font-size: 12px;
        overflow-wrap: anywhere;
      }
      .model .row {
        margin-top: 8px;
      }
      form {
        display: grid;
        gap: 12px;
        margin-top: 12px;
        padding-top: 12px;
        border-top: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
      }
      .swap {
        margin-bottom: 12px;
        display: grid;
        gap: 8px;
      }
      dialog {
        border: none;
        border-radius: 12px;
        padding: 24px;
        max-width: min(92vw, 480px);
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.5);
      }
      dialog .row {
        justify-content: flex-end;
        margin-top: 16px;
      }
    `,
  ];

  private _confirm: CatalogModel | null = null;
  private _editing: string | null = null;
  private _draft: Draft | null = null;
  private _saving = false;
  private _saved: string | null = null;
  private _fail: Failure | null = null;
  private _swapFail: Failure | null = null;
  private _showLog = false;

  protected updated(changed: PropertyValues): void {
    if (changed.has("_confirm") && this._confirm) {
      const dialog = this.renderRoot.querySelector<HTMLDialogElement>("dialog");
      if (dialog && !dialog.open) dialog.showModal();
    }
    if (changed.has("snapshot")) {
      const log = this.renderRoot.querySelector<HTMLElement>("#swap-log");
      if (log) log.scrollTop = log.scrollHeight;
    }
  }

  render() {
    const snap = this.snapshot;
    const loaded = snap.status.vllm.ready ? snap.status.vllm.model : null;
    const swap = snap.swap;
    const showLog = this._showLog || swap.running || snap.swap_log.length > 0;
    return html`
      ${showLog ? this._renderSwap() : nothing}
      ${generalError(this._swapFail)}
      <div class="grid" role="list" aria-label=${this.t("models.title")}>
        ${snap.catalog.map((model) => this._renderModel(model, loaded))}
      </div>
      ${this._confirm ? this._renderConfirm(this._confirm) : nothing}
    `;
  }

  private _renderSwap() {
    const swap = this.snapshot.swap;
    const state = this.t(`swap_state.${swap.state}`);
    const dot = swap.state === "ready" ? "ok" : swap.state === "failed" ? "bad" : swap.running ? "busy" : "";
    return html`
      <section class="card swap" aria-labelledby="swap-title">
        <div class="row">
          <h2 id="swap-title">${this.t("models.swap_log")}</h2>
          <span class="spacer"></span>
          <span role="status" data-swap-state=${swap.state} data-swap-model=${swap.model ?? ""}>
            <span class="dot ${dot}"></span>${swap.model ? `${swap.model}: ` : ""}${state}${
              swap.shard_percent !== null && swap.running ? ` (${swap.shard_percent.toFixed(0)} %)` : ""
            }
          </span>
        </div>
        ${swap.stalled ? html`<p class="notice">${this.t("models.stalled")}</p>` : nothing}
        ${swap.state === "failed" && swap.error
          ? html`<p class="error" role="alert" data-swap-error>${swap.error}</p>`
          : nothing}
        <pre id="swap-log" class="log" role="log" tabindex="0" aria-label=${this.t("models.swap_log")}>${this.snapshot.swap_log.join("\n")}</pre>
      </section>
    `;
  }

  private _renderModel(model: CatalogModel, loaded: string | null) {
    const swap = this.snapshot.swap;
    const isLoaded = loaded === model.repo_id;
    const swapping = swap.running && swap.model === model.repo_id;
    const editing = this._editing === model.key;
    const titleId = `model-${model.key}`;
    return html`
      <article class="card model ${isLoaded ? "loaded" : ""}" role="listitem" aria-labelledby=${titleId}
        data-model=${model.key}>
        <h3 id=${titleId}>${model.name}</h3>
        <div class="repo muted">${model.repo_id}</div>
        <div class="row">
          <span class="badge">${this.t(model.builtin ? "models.bundled" : "models.custom")}</span>
          <span class="badge">${this.t(`mode.${model.mode}`)}</span>
          ${isLoaded
            ? html`<span class="badge" data-loaded><span class="dot ok"></span>${this.t("models.loaded")}</span>`
            : nothing}
          ${swapping
            ? html`<span class="badge"><span class="dot busy"></span>${this.t(`swap_state.${swap.state}`)}</span>`
            : nothing}
        </div>
        <div class="row">
          <button class="primary" ?disabled=${isLoaded || swap.running}
            aria-label=${this.t("models.load_named", { name: model.name })}
            @click=${() => {
              this._confirm = model;
            }}>${this.t("models.load")}</button>
          <button aria-expanded=${editing ? "true" : "false"} aria-controls=${`settings-${model.key}`}
            aria-label=${this.t("models.settings_named", { name: model.name })}
            @click=${() => this._toggleSettings(model)}>${this.t("models.settings")}</button>
          ${model.builtin
            ? nothing
            : html`<button class="danger" ?disabled=${isLoaded}
                aria-label=${this.t("models.remove_named", { name: model.name })}
                @click=${() => this._remove(model)}>${this.t("models.remove")}</button>`}
        </div>
        ${editing && this._draft ? this._renderSettings(model, this._draft) : nothing}
      </article>
    `;
  }

  private _renderSettings(model: CatalogModel, draft: Draft) {
    const id = (field: string) => `${field}-${model.key}`;
    const fail = this._fail;
    const invalid = (field: string) => (fail?.field === field ? "true" : "false");
    const set = (patch: Partial<Draft>) => {
      this._draft = { ...draft, ...patch };
      this._saved = null;
    };
    return html`
      <form id=${`settings-${model.key}`} novalidate
        aria-label=${this.t("models.settings_named", { name: model.name })}
        @submit=${(ev: Event) => {
          ev.preventDefault();
          void this._save(model);
        }}>
        <label>${this.t("settings.max_model_len")}
          <input id=${id("max_model_len")} name="max_model_len" inputmode="numeric"
            .value=${draft.max_model_len} placeholder=${this.t("settings.default")}
            aria-invalid=${invalid("max_model_len")} aria-describedby=${`${id("max_model_len")}-error`}
            @input=${(ev: Event) => set({ max_model_len: (ev.target as HTMLInputElement).value })} />
          ${fieldError(fail, "max_model_len", `${id("max_model_len")}-error`)}
        </label>
        <label>${this.t("settings.gpu_memory")}
          <input id=${id("gpu")} name="gpu_memory_utilization" inputmode="decimal"
            .value=${draft.gpu_memory_pct} placeholder=${this.t("settings.default")}
            aria-invalid=${invalid("gpu_memory_utilization")} aria-describedby=${`${id("gpu")}-help ${id("gpu")}-error`}
            @input=${(ev: Event) => set({ gpu_memory_pct: (ev.target as HTMLInputElement).value })} />
          <span class="muted" id=${`${id("gpu")}-help`}>${this.t("settings.gpu_memory_help")}</span>
          ${fieldError(fail, "gpu_memory_utilization", `${id("gpu")}-error`)}
        </label>
        <label class="check">
          <input type="checkbox" name="fastsafetensors" .checked=${draft.fastsafetensors}
            @change=${(ev: Event) => set({ fastsafetensors: (ev.target as HTMLInputElement).checked })} />
          ${this.t("settings.fastsafetensors")}
        </label>
        <label>${this.t("settings.prefix_caching")}
          <select name="prefix_caching" .value=${draft.prefix_caching}
            @change=${(ev: Event) =>
              set({ prefix_caching: (ev.target as HTMLSelectElement).value as Draft["prefix_caching"] })}>
            <option value="default" ?selected=${draft.prefix_caching === "default"}>${this.t("settings.vllm_decides")}</option>
            <option value="on" ?selected=${draft.prefix_caching === "on"}>${this.t("settings.on")}</option>
            <option value="off" ?selected=${draft.prefix_caching === "off"}>${this.t("settings.off")}</option>
          </select>
        </label>
        <label class="check">
          <input type="checkbox" name="fp8_kv_cache" .checked=${draft.fp8_kv_cache}
            @change=${(ev: Event) => set({ fp8_kv_cache: (ev.target as HTMLInputElement).checked })} />
          ${this.t("settings.fp8_kv_cache")}
        </label>
        ${generalError(fail, ["max_model_len", "gpu_memory_utilization"])}
        ${this._saved === model.key ? html`<p class="notice" role="status">${this.t("settings.saved")}</p>` : nothing}
        <div class="row">
          <button type="submit" class="primary" ?disabled=${this._saving}>${this.t("settings.save")}</button>
          <button type="button" @click=${() => this._toggleSettings(model)}>${this.t("common.close")}</button>
        </div>
      </form>
    `;
  }

  private _renderConfirm(model: CatalogModel) {
    const loaded = this.snapshot.status.vllm.model;
    return html`
      <dialog aria-labelledby="confirm-title" aria-describedby="confirm-text"
        @close=${() => {
          this._confirm = null;
        }}>
        <h2 id="confirm-title">${this.t("models.confirm_title", { name: model.name })}</h2>
        <p id="confirm-text">
          ${loaded
            ? this.t("models.confirm_text", { current: loaded })
            : this.t("models.confirm_text_empty")}
        </p>
        <div class="row">
          <button @click=${() => this._closeConfirm()}>${this.t("common.cancel")}</button>
          <button class="primary" @click=${() => this._load(model)}>${this.t("models.load")}</button>
        </div>
      </dialog>
    `;
  }

  private _closeConfirm(): void {
    this.renderRoot.querySelector<HTMLDialogElement>("dialog")?.close();
    this._confirm = null;
  }

  private async _load(model: CatalogModel): Promise<void> {
    this._closeConfirm();
    this._swapFail = null;
    this._showLog = true;
    try {
      await this.api.swap(model.key);
    } catch (err) {
      this._swapFail = failure(err);
    }
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>("#swap-log")?.focus();
  }

  private _toggleSettings(model: CatalogModel): void {
    this._fail = null;
    this._saved = null;
    if (this._editing === model.key) {
      this._editing = null;
      this._draft = null;
    } else {
      this._editing = model.key;
      this._draft = draftOf(model.settings);
    }
  }

  private async _save(model: CatalogModel): Promise<void> {
    if (!this._draft) return;
    this._saving = true;
    this._fail = null;
    try {
      const { model: saved } = await this.api.modelSettings(model.key, changesOf(this._draft));
      this._draft = draftOf(saved.settings);
      this._saved = model.key;
    } catch (err) {
      this._fail = failure(err);
      await this.updateComplete;
      const field = this._fail.field;
      if (field) this.renderRoot.querySelector<HTMLInputElement>(`input[name="${field}"]`)?.focus();
    } finally {
      this._saving = false;
    }
  }

  private async _remove(model: CatalogModel): Promise<void> {
    if (!window.confirm(this.t("models.remove_confirm", { name: model.name }))) return;
    this._swapFail = null;
    try {
      await this.api.removeModel(model.key);
    } catch (err) {
      this._swapFail = failure(err);
    }
  }
}

if (!customElements.get("spark-models")) customElements.define("spark-models", SparkModels);
