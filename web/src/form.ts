/**
 * Form rows that show the API's problem+json field errors next to the field they name
 * (`body.folds.k`, `body.layerIds[2]` -> the row registered as `folds.k` / `layerIds`).
 */
import { ApiError } from './api';
import { h } from './dom';

export class FieldRows {
  private readonly rows = new Map<string, HTMLElement>();
  readonly general = h('p', { class: 'error form-error', role: 'alert' });

  /** A labelled row; `name` is the request body path the API uses for it. */
  row(form: HTMLElement, label: string, name: string, control: HTMLElement, hint?: string): void {
    const err = h('span', { class: 'field-error', 'data-error-for': name, role: 'alert' });
    this.rows.set(name, err);
    form.append(
      h('label', { class: 'field', for: control.id || undefined }, label),
      h(
        'div',
        { 'data-field': name },
        control,
        hint ? h('small', { class: 'muted', style: 'display:block' }, hint) : null,
        err,
      ),
    );
  }

  clear(): void {
    for (const e of this.rows.values()) e.textContent = '';
    this.general.textContent = '';
  }

  /** Put each field error under its row (the longest registered prefix of its path); the rest above. */
  show(err: unknown): void {
    this.clear();
    if (!(err instanceof ApiError)) {
      this.general.textContent = (err as Error).message;
      return;
    }
    const loose: string[] = [];
    for (const fe of err.errors) {
      const path = fe.field.replace(/^body\.?/, '').replace(/\[\d+\]/g, '');
      const name = [...this.rows.keys()]
        .filter((k) => path === k || path.startsWith(`${k}.`))
        .sort((a, b) => b.length - a.length)[0];
      const target = name ? this.rows.get(name)! : null;
      if (target) target.textContent = target.textContent ? `${target.textContent}; ${fe.reason}` : fe.reason;
      else loose.push(`${fe.field}: ${fe.reason}`);
    }
    this.general.textContent = err.errors.length ? loose.join('; ') : `${err.title}: ${err.detail}`;
  }
}

/** Checkboxes for a multi-choice field; value() lists the checked values. */
export function checks(
  name: string,
  options: { value: string; label: string; checked?: boolean }[],
): { el: HTMLElement; value(): string[] } {
  const boxes = options.map((o) => h('input', { type: 'checkbox', name, value: o.value, checked: o.checked ?? false }));
  return {
    el: h('div', { class: 'checks' }, ...boxes.map((b, i) => h('label', {}, b, ' ', options[i].label))),
    value: () => boxes.filter((b) => b.checked).map((b) => b.value),
  };
}
