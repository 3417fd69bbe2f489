// Shared look: Home Assistant's theme variables (light and dark), native controls, 44 px targets.
import { css } from "lit";

export const shared = css`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, Roboto, sans-serif));
    font-size: 14px;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h2,
  h3 {
    margin: 0;
    font-weight: 500;
  }
  h2 {
    font-size: 20px;
  }
  h3 {
    font-size: 16px;
  }
  .card {
    background: var(--ha-card-background, var(--card-background-color, #fff));
    border-radius: var(--ha-card-border-radius, 12px);
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
    padding: 16px;
  }
  .grid {
    display: grid;
    gap: 12px;
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr));
    align-items: start;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
  }
  .spacer {
    flex: 1;
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  button,
  .button {
    min-height: 44px;
    min-width: 44px;
    padding: 0 16px;
    border-radius: 8px;
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.24));
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color, #212121);
    font: inherit;
    font-weight: 500;
    cursor: pointer;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    border-color: var(--primary-color, #03a9f4);
    color: #000;
  }
  button.danger {
    border-color: var(--error-color, #db4437);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  [tabindex]:focus-visible,
  summary:focus-visible {
    outline: 3px solid var(--primary-color, #03a9f4);
    outline-offset: 2px;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-weight: 500;
  }
  label.check {
    flex-direction: row;
    align-items: center;
    min-height: 44px;
    gap: 12px;
    font-weight: 400;
  }
  input[type="checkbox"],
  input[type="radio"] {
    width: 24px;
    height: 24px;
    margin: 0;
    accent-color: var(--primary-color, #03a9f4);
  }
  input:not([type="checkbox"]):not([type="radio"]),
  select {
    min-height: 44px;
    padding: 0 12px;
    border-radius: 8px;
    border: 1px solid var(--secondary-text-color, #727272);
    background: var(--primary-background-color, #fafafa);
    color: var(--primary-text-color, #212121);
    font: inherit;
    width: 100%;
  }
  input[aria-invalid="true"] {
    border: 2px solid var(--error-color, #db4437);
  }
  .field-error,
  .error {
    border-left: 4px solid var(--error-color, #db4437);
    padding: 4px 8px;
    font-weight: 400;
    overflow-wrap: anywhere;
  }
  .notice {
    border-left: 4px solid var(--primary-color, #03a9f4);
    padding: 8px 12px;
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.08));
  }
  .badge {
    display: inline-block;
    padding: 2px 8px;
    border-radius: 10px;
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.24));
    font-size: 12px;
  }
  .dot {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 50%;
    background: var(--disabled-text-color, #bdbdbd);
    margin-right: 6px;
  }
  .dot.ok {
    background: var(--success-color, #43a047);
  }
  .dot.bad {
    background: var(--error-color, #db4437);
  }
  .dot.busy {
    background: var(--warning-color, #ffa600);
  }
  pre.log {
    margin: 0;
    max-height: 320px;
    overflow: auto;
    padding: 8px;
    border-radius: 8px;
    background: var(--primary-background-color, #fafafa);
    border: 1px solid var(--divider-color, rgba(0, 0, 0, 0.12));
    font-family: var(--code-font-family, ui-monospace, monospace);
    font-size: 12px;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  progress {
    width: 100%;
    height: 12px;
    accent-color: var(--primary-color, #03a9f4);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
