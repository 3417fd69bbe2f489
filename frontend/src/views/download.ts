// Download from Hugging Face: repo validated as you type, solo/cluster, revision; live progress,
// cancel; when it completes, the pre-filled "Add to catalog" dialog.
import { html, css, nothing, type PropertyValues } from "lit";
import type { DownloadStatus, LaunchMode } from "../api";
import { bytes, duration } from "../format";
import { SparkView, failure, fieldError, generalError, type Failure } from "./base";

const VALIDATE_DELAY_MS = 250;

export class SparkDownload extends SparkView {
  static properties = {
    ...SparkView.properties,
    _repo: { state: true },
    _revision: { state: true },
    _target: { state: true },
    _check: { state: true },
    _fail: { state: true },
    _busy: { state: true },
    _dialog: { state: true },
    _addFail: { state: true },
  };

  static styles = [
    SparkView.styles,
    css`
      form,
      .progress,
      dialog form {
        display: grid;
        gap: 12px;
      }
      fieldset {
        border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
        border-radius: 8px;
        margin: 0;
        padding: 4px 12px;
      }
      legend {
        font-weight: 500;
        padding: 0 4px;
      }
      .progress {
        margin-top: 12px;
      }
      .figures {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 16px;
        font-variant-numeric: tabular-nums;
      }
      dialog {
        border: none;
        border-radius: 12px;
        padding: 24px;
        width: min(92vw, 480px);
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.5);
      }
      .row.end {
        justify-content: flex-end;
      }
    `,
  ];

  private _repo = "";
  private _revision = "";
  private _target: LaunchMode = "cluster";
  private _check: { repo_id?: string; revision?: string; in_catalog: boolean } | null = null;
  private _fail: Failure | null = null;
  private _busy = false;
  private _dialog: { repo_id: string; name: string; target: LaunchMode } | null = null;
  private _addFail: Failure | null = null;
  private _timer: number | undefined;
  private _offered = new Set<string>();

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this._timer);
  }

  protected willUpdate(changed: PropertyValues): void {
    if (!changed.has("snapshot")) return;
    const before = (changed.get("snapshot") as typeof this.snapshot | undefined)?.download;
    const now = this.snapshot.download;
    // The dialog opens when this page sees a download finish outside the catalog.
    if (now && now.state === "completed" && !now.in_catalog && before && before.state !== "completed") {
      this._offer(now);
    }
  }

  protected updated(changed: PropertyValues): void {
    if (changed.has("_dialog") && this._dialog) {
      const dialog = this.renderRoot.querySelector<HTMLDialogElement>("dialog");
      if (dialog && !dialog.open) dialog.showModal();
    }
  }

  private _offer(download: DownloadStatus): void {
    const key = `${download.repo_id}@${download.bytes_total ?? ""}`;
    if (this._offered.has(key)) return;
    this._offered.add(key);
    this._addFail = null;
    const name = download.repo_id.split("/").pop() ?? download.repo_id;
    this._dialog = { repo_id: download.repo_id, name, target: download.target };
  }

  render() {
    const download = this.snapshot.download;
    const running = download?.running ?? false;
    const check = this._check;
    const fail = this._fail;
    const repoError = fail?.field === "repo_id" ? fail : check?.repo_id ? { field: "repo_id", message: check.repo_id } : null;
    const revError = fail?.field === "revision" ? fail : check?.revision ? { field: "revision", message: check.revision } : null;
    const hasWorker = "worker" in this.snapshot.status.nodes;
    return html`
      <section class="card" aria-labelledby="dl-title">
        <h2 id="dl-title">${this.t("download.title")}</h2>
        <form novalidate @submit=${(ev: Event) => {
          ev.preventDefault();
          void this._start();
        }}>
          <label>${this.t("download.repo")}
            <input name="repo_id" autocomplete="off" spellcheck="false" .value=${this._repo}
              placeholder="org/name" aria-invalid=${repoError ? "true" : "false"}
              aria-describedby="repo-help repo-error"
              @input=${(ev: Event) => this._edit({ repo: (ev.target as HTMLInputElement).value })} />
            <span id="repo-help" class="muted">${this.t("download.repo_help")}</span>
            ${fieldError(repoError, "repo_id", "repo-error")}
            ${check?.in_catalog ? html`<span class="notice">${this.t("download.in_catalog")}</span>` : nothing}
          </label>
          <fieldset>
            <legend>${this.t("download.target")}</legend>
            ${(["solo", "cluster"] as LaunchMode[]).map(
              (target) => html`<label class="check">
                <input type="radio" name="target" value=${target} .checked=${this._target === target}
                  ?disabled=${target === "cluster" && !hasWorker}
                  @change=${() => {
                    this._target = target;
                  }} />
                ${this.t(`download.target_${target}`)}
              </label>`,
            )}
          </fieldset>
          <label>${this.t("download.revision")}
            <input name="revision" autocomplete="off" spellcheck="false" .value=${this._revision}
              placeholder="main" aria-invalid=${revError ? "true" : "false"} aria-describedby="revision-error"
              @input=${(ev: Event) => this._edit({ revision: (ev.target as HTMLInputElement).value })} />
            ${fieldError(revError, "revision", "revision-error")}
          </label>
          ${generalError(fail, ["repo_id", "revision"])}
          <div class="row">
            <button type="submit" class="primary" ?disabled=${running || this._busy || !this._repo.trim() || !!repoError || !!revError}>
              ${this.t("download.start")}
            </button>
          </div>
        </form>
        ${download ? this._renderProgress(download) : nothing}
      </section>
      ${this._dialog ? this._renderDialog(this._dialog) : nothing}
    `;
  }

  private _renderProgress(d: DownloadStatus) {
    const pct = d.percent;
    const label = this.t("download.progress_label", { repo: d.repo_id });
    return html`
      <div class="progress" data-download-state=${d.state}>
        <div class="row">
          <h3>${d.repo_id}</h3>
          <span class="spacer"></span>
          <span role="status">${this.t(`download.state_${d.state}`)}</span>
        </div>
        <progress max="100" .value=${pct ?? 0} aria-label=${label}
          aria-valuetext=${pct === null ? this.t("download.unknown") : `${pct.toFixed(1)} %`}></progress>
        <div class="figures">
          <span data-percent>${pct === null ? "—" : `${pct.toFixed(1)} %`}</span>
          <span data-bytes>${this.t("download.bytes", { done: bytes(d.bytes_done), total: bytes(d.bytes_total) })}</span>
          <span data-rate>${d.rate_bps === null ? "—" : `${bytes(d.rate_bps)}/s`}</span>
          <span data-eta>${this.t("download.eta", { eta: duration(d.eta_s) })}</span>
        </div>
        ${d.error ? html`<p class="error" role="alert">${d.error}</p>` : nothing}
        <div class="row">
          ${d.running
            ? html`<button class="danger" @click=${() => this._cancel()}>${this.t("download.cancel")}</button>`
            : nothing}
          ${d.state === "completed" && !d.in_catalog
            ? html`<button @click=${() => {
                this._offered.clear();
                this._offer(d);
              }}>${this.t("download.add")}</button>`
            : nothing}
        </div>
      </div>
    `;
  }

  private _renderDialog(dialog: { repo_id: string; name: string; target: LaunchMode }) {
    const fail = this._addFail;
    return html`
      <dialog aria-labelledby="add-title" @close=${() => {
        this._dialog = null;
      }}>
        <form novalidate @submit=${(ev: Event) => {
          ev.preventDefault();
          void this._add();
        }}>
          <h2 id="add-title">${this.t("download.add_title")}</h2>
          <label>${this.t("download.repo")}
            <input name="add_repo_id" .value=${dialog.repo_id} aria-invalid=${fail?.field === "repo_id" ? "true" : "false"}
              aria-describedby="add-repo-error"
              @input=${(ev: Event) => {
                this._dialog = { ...dialog, repo_id: (ev.target as HTMLInputElement).value };
              }} />
            ${fieldError(fail, "repo_id", "add-repo-error")}
          </label>
          <label>${this.t("download.name")}
            <input name="add_name" .value=${dialog.name} aria-invalid=${fail?.field === "name" ? "true" : "false"}
              aria-describedby="add-name-error"
              @input=${(ev: Event) => {
                this._dialog = { ...dialog, name: (ev.target as HTMLInputElement).value };
              }} />
            ${fieldError(fail, "name", "add-name-error")}
          </label>
          <label>${this.t("download.mode")}
            <select name="add_target" .value=${dialog.target}
              @change=${(ev: Event) => {
                this._dialog = { ...dialog, target: (ev.target as HTMLSelectElement).value as LaunchMode };
              }}>
              <option value="solo" ?selected=${dialog.target === "solo"}>${this.t("mode.solo")}</option>
              <option value="cluster" ?selected=${dialog.target === "cluster"}>${this.t("mode.cluster")}</option>
            </select>
          </label>
          ${generalError(fail, ["repo_id", "name"])}
          <div class="row end">
            <button type="button" @click=${() => this._closeDialog()}>${this.t("common.cancel")}</button>
            <button type="submit" class="primary">${this.t("download.add")}</button>
          </div>
        </form>
      </dialog>
    `;
  }

  private _edit(patch: { repo?: string; revision?: string }): void {
    if (patch.repo !== undefined) this._repo = patch.repo;
    if (patch.revision !== undefined) this._revision = patch.revision;
    this._fail = null;
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this._validate(), VALIDATE_DELAY_MS);
  }

  private async _validate(): Promise<void> {
    const repo = this._repo.trim();
    const revision = this._revision.trim();
    if (!repo) {
      this._check = null;
      return;
    }
    try {
      const result = await this.api.validateRepo(repo, revision || undefined);
      if (repo !== this._repo.trim() || revision !== this._revision.trim()) return; // typed on
      this._check = { ...result.errors, in_catalog: result.in_catalog };
    } catch (err) {
      const fail = failure(err);
      this._check = { [fail.field ?? "repo_id"]: fail.message, in_catalog: false };
    }
  }

  private async _start(): Promise<void> {
    this._busy = true;
    this._fail = null;
    const revision = this._revision.trim();
    try {
      await this.api.download({
        repo_id: this._repo.trim(),
        target: this._target,
        ...(revision ? { revision } : {}),
      });
    } catch (err) {
      this._fail = failure(err);
    } finally {
      this._busy = false;
    }
  }

  private async _cancel(): Promise<void> {
    try {
      await this.api.cancelDownload();
    } catch (err) {
      this._fail = failure(err);
    }
  }

  private _closeDialog(): void {
    this.renderRoot.querySelector<HTMLDialogElement>("dialog")?.close();
    this._dialog = null;
  }

  private async _add(): Promise<void> {
    if (!this._dialog) return;
    const { repo_id, name, target } = this._dialog;
    this._addFail = null;
    try {
      await this.api.addModel(repo_id.trim(), name.trim() || undefined, target);
      this._closeDialog();
      this.dispatchEvent(new CustomEvent("spark-model-added", { bubbles: true, composed: true }));
    } catch (err) {
      this._addFail = failure(err);
    }
  }
}

if (!customElements.get("spark-download")) customElements.define("spark-download", SparkDownload);
