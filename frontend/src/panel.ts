// <spark-control-panel>: the sidebar panel Home Assistant creates (panel.py registers it).
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { SparkApi, applyEvent, type EntrySummary, type PanelEvent, type Snapshot } from "./api";
import type { Hass, PanelInfo, Route } from "./hass";
import { loadStrings, errorText, type Translate } from "./localize";
import { shared } from "./styles";
import "./views/connectivity";
import "./views/download";
import "./views/models";
import "./views/services";
import "./views/update";

const TABS = ["models", "services", "download", "update", "connectivity"] as const;
type Tab = (typeof TABS)[number];
const STORED_ENTRY = "spark_control.panel.entry";
const RESUBSCRIBE_MS = 3000;
export const FIRST_DATA_MARK = "spark-control:first-data";
performance.mark("spark-control:module");

export class SparkControlPanel extends LitElement {
  static properties = {
    hass: { attribute: false },
    narrow: { type: Boolean },
    route: { attribute: false },
    panel: { attribute: false },
    _t: { state: true },
    _entries: { state: true },
    _entryId: { state: true },
    _snapshot: { state: true },
    _tab: { state: true },
    _error: { state: true },
  };

  static styles = [
    shared,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--primary-background-color, #fafafa);
      }
      header {
        position: sticky;
        top: 0;
        z-index: 2;
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 4px 12px;
        min-height: 56px;
        /* HA's own header colours (white on the primary blue) fail WCAG AA contrast. */
        background: var(--card-background-color, #fff);
        color: var(--primary-text-color, #212121);
        border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
      }
      header h1 {
        font-size: 20px;
        font-weight: 400;
        margin: 0;
        flex: 1;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      header button.menu {
        border: none;
        background: transparent;
        color: inherit;
        padding: 0;
        width: 48px;
      }
      header select {
        width: auto;
        max-width: 50vw;
      }
      main {
        padding: 16px;
        max-width: 1200px;
        margin: 0 auto;
        display: grid;
        gap: 12px;
      }
      .summary dl {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 24px;
        margin: 0;
      }
      .summary dt {
        color: var(--secondary-text-color, #727272);
        font-size: 12px;
      }
      .summary dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      [role="tablist"] {
        display: flex;
        gap: 4px;
        overflow-x: auto;
        border-bottom: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
        scrollbar-width: thin;
      }
      [role="tab"] {
        border: none;
        border-bottom: 3px solid transparent;
        border-radius: 0;
        background: transparent;
        white-space: nowrap;
      }
      [role="tab"][aria-selected="true"] {
        border-bottom-color: var(--primary-color, #03a9f4);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
      }
    `,
  ];

  hass!: Hass;
  narrow = false;
  route?: Route;
  panel?: PanelInfo;
  private _t: Translate | null = null;
  private _entries: EntrySummary[] | null = null;
  private _entryId: string | null = null;
  private _snapshot: Snapshot | null = null;
  private _tab: Tab = "models";
  private _error: string | null = null;
  private _unsub: (() => Promise<void>) | null = null;
  private _subscribedTo: string | null = null;
  private _retry: number | undefined;
  private _marked = false;
  private _started = false;

  connectedCallback(): void {
    super.connectedCallback();
    if (this.hass && this._started) void this._subscribe();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this._retry);
    void this._unsubscribe();
  }

  protected willUpdate(changed: PropertyValues): void {
    if (changed.has("hass") && this.hass && !this._started) {
      this._started = true;
      void this._start();
    }
  }

  protected updated(changed: PropertyValues): void {
    if (changed.has("_snapshot") && this._snapshot && !this._marked) {
      this._marked = true;
      performance.mark(FIRST_DATA_MARK);
    }
  }

  private async _start(): Promise<void> {
    try {
      this._t = await loadStrings(this.hass);
      await this._loadEntries();
    } catch (err) {
      this._error = errorText(err);
    }
  }

  private async _loadEntries(): Promise<void> {
    const { entries } = await SparkApi.entries(this.hass);
    this._entries = entries;
    const wanted = new URLSearchParams(window.location.search).get("config_entry") ?? localStorage.getItem(STORED_ENTRY);
    const loaded = entries.filter((e) => e.state === "loaded");
    const pick = entries.find((e) => e.entry_id === wanted) ?? loaded[0] ?? entries[0];
    this._entryId = pick?.entry_id ?? null;
    await this._subscribe();
  }

  private async _subscribe(): Promise<void> {
    const entryId = this._entryId;
    if (!entryId || !this.isConnected || this._subscribedTo === entryId) return;
    await this._unsubscribe();
    this._subscribedTo = entryId;
    this._error = null;
    const api = new SparkApi(this.hass, entryId);
    try {
      const unsub = await api.subscribe((event: PanelEvent) => this._onEvent(entryId, event));
      if (this._subscribedTo !== entryId) {
        await unsub(); // the user picked another entry meanwhile
        return;
      }
      this._unsub = unsub;
    } catch (err) {
      this._subscribedTo = null;
      this._error = errorText(err);
      this._scheduleRetry();
    }
  }

  private async _unsubscribe(): Promise<void> {
    const unsub = this._unsub;
    this._unsub = null;
    this._subscribedTo = null;
    if (unsub) {
      try {
        await unsub();
      } catch {
        // the connection went away with it
      }
    }
  }

  private _onEvent(entryId: string, event: PanelEvent): void {
    if (entryId !== this._entryId) return;
    if (event.kind === "closed") {
      this._snapshot = null;
      this._unsub = null;
      this._subscribedTo = null;
      this._scheduleRetry();
      return;
    }
    this._snapshot = applyEvent(this._snapshot, event);
  }

  private _scheduleRetry(): void {
    window.clearTimeout(this._retry);
    this._retry = window.setTimeout(() => {
      if (!this.isConnected) return;
      void this._loadEntries().catch((err) => {
        this._error = errorText(err);
        this._scheduleRetry();
      });
    }, RESUBSCRIBE_MS);
  }

  private _pickEntry(entryId: string): void {
    localStorage.setItem(STORED_ENTRY, entryId);
    const url = new URL(window.location.href);
    url.searchParams.set("config_entry", entryId);
    history.replaceState(history.state, "", url);
    this._entryId = entryId;
    this._snapshot = null;
    void this._subscribe();
  }

  private _tabKey(ev: KeyboardEvent): void {
    const index = TABS.indexOf(this._tab);
    const moves: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: TABS.length - 1,
    };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    this._tab = TABS[(moves[ev.key] + TABS.length) % TABS.length];
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(`#tab-${this._tab}`)?.focus(),
    );
  }

  render() {
    const t = this._t;
    if (!t) return html`<main><p role="status">…</p>${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}</main>`;
    const entries = this._entries ?? [];
    return html`
      <header>
        ${this.narrow || this.hass.dockedSidebar === "always_hidden"
          ? html`<button class="menu" aria-label=${t("panel.menu")} @click=${this._toggleMenu}>
              <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
                <path fill="currentColor" d="M3,6H21V8H3V6M3,11H21V13H3V11M3,16H21V18H3V16Z" />
              </svg>
            </button>`
          : nothing}
        <h1>${t("panel.title")}</h1>
        ${entries.length > 1
          ? html`<label class="visually-hidden" for="entry">${t("panel.cluster")}</label>
              <select id="entry" .value=${this._entryId ?? ""}
                @change=${(ev: Event) => this._pickEntry((ev.target as HTMLSelectElement).value)}>
                ${entries.map(
                  (e) => html`<option value=${e.entry_id} ?selected=${e.entry_id === this._entryId}>
                    ${e.title}${e.state === "loaded" ? "" : ` (${t(`entry_state.${e.state}`)})`}
                  </option>`,
                )}
              </select>`
          : nothing}
      </header>
      <main>${this._body(t, entries)}</main>
    `;
  }

  private _toggleMenu(): void {
    this.dispatchEvent(new CustomEvent("hass-toggle-menu", { bubbles: true, composed: true }));
  }

  private _body(t: Translate, entries: EntrySummary[]) {
    if (this._entries !== null && entries.length === 0) return html`<p class="notice">${t("panel.no_entries")}</p>`;
    const entry = entries.find((e) => e.entry_id === this._entryId);
    if (entry && entry.state !== "loaded") {
      return html`<p class="notice" role="status">${t("panel.entry_not_loaded", { title: entry.title })}</p>`;
    }
    if (this._error) return html`<p class="error" role="alert">${this._error}</p>`;
    const snap = this._snapshot;
    if (!snap) return html`<p role="status">${t("panel.loading")}</p>`;
    const api = new SparkApi(this.hass, snap.entry_id);
    const common = { api, snapshot: snap, t, language: this.hass.language };
    return html`
      ${this._summary(t, snap)}
      <div role="tablist" aria-label=${t("panel.sections")} @keydown=${this._tabKey}>
        ${TABS.map(
          (tab) => html`<button role="tab" id=${`tab-${tab}`} aria-selected=${tab === this._tab ? "true" : "false"}
            aria-controls="tabpanel" tabindex=${tab === this._tab ? "0" : "-1"}
            @click=${() => {
              this._tab = tab;
            }}>${t(`tabs.${tab}`)}</button>`,
        )}
      </div>
      <div id="tabpanel" role="tabpanel" aria-labelledby=${`tab-${this._tab}`}>
        ${this._tab === "models" ? html`<spark-models .api=${common.api} .snapshot=${snap} .t=${t} .language=${common.language}></spark-models>` : nothing}
        ${this._tab === "services" ? html`<spark-services .api=${common.api} .snapshot=${snap} .t=${t} .language=${common.language}></spark-services>` : nothing}
        ${this._tab === "download" ? html`<spark-download .api=${common.api} .snapshot=${snap} .t=${t} .language=${common.language}></spark-download>` : nothing}
        ${this._tab === "update" ? html`<spark-update .api=${common.api} .snapshot=${snap} .t=${t} .language=${common.language}></spark-update>` : nothing}
        ${this._tab === "connectivity" ? html`<spark-connectivity .api=${common.api} .snapshot=${snap} .t=${t} .language=${common.language}></spark-connectivity>` : nothing}
      </div>
    `;
  }

  private _summary(t: Translate, snap: Snapshot) {
    const vllm = snap.status.vllm;
    const behind = snap.update.behind ?? 0;
    return html`
      <section class="card summary" aria-label=${t("panel.summary")}>
        <dl>
          <div><dt>${t("summary.model")}</dt><dd data-current-model>${vllm.model ?? t("summary.none")}</dd></div>
          <div><dt>${t("summary.vllm")}</dt><dd>
            <span class="dot ${vllm.ready ? "ok" : snap.swap.running ? "busy" : "bad"}"></span>${t(
              vllm.ready ? "summary.ready" : snap.swap.running ? "summary.loading" : "summary.not_ready",
            )}</dd></div>
          ${Object.entries(snap.status.nodes).map(
            ([name, node]) => html`<div><dt>${t(`summary.node_${name}`)}</dt><dd>
              <span class="dot ${node.reachable ? "ok" : "bad"}"></span>${t(
                node.reachable ? "summary.reachable" : "summary.unreachable",
              )}</dd></div>`,
          )}
        </dl>
        ${!snap.status.available && snap.status.error ? html`<p class="error" role="alert">${snap.status.error}</p>` : nothing}
        ${behind > 0
          ? html`<p class="notice"><button @click=${() => {
              this._tab = "update";
            }}>${t("update.behind", { count: behind })}</button></p>`
          : nothing}
      </section>
    `;
  }
}

if (!customElements.get("spark-control-panel")) customElements.define("spark-control-panel", SparkControlPanel);
