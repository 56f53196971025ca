// Modal dialogs for the admin and settings pages: a form in a <dialog> (the browser traps focus
// and Escape closes it), a confirmation, and the one-time display of a secret. Focus returns to
// the control that opened the dialog, so keyboard users keep their place.
import { button, h, uid } from './dom.js';

export function errorBox() {
  return h('p', { class: 'form-error', role: 'alert' });
}

export function describeError(error) {
  return error?.describe?.() || error?.message || String(error);
}

function modal(title, onClosed) {
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { class: 'modal', 'aria-labelledby': titleId });
  const opener = document.activeElement;
  let closed = false;
  // Runs once, whether Escape, a button or a successful submit closed the dialog.
  function finish() {
    if (closed) return;
    closed = true;
    dialog.remove();
    onClosed?.();
    // The opener may have been re-rendered away; then focus goes back to the page.
    const target = opener?.isConnected ? opener : document.getElementById('main');
    target?.focus({ preventScroll: true });
  }
  dialog.addEventListener('close', finish);
  const close = () => {
    if (dialog.open) dialog.close();
    finish();
  };
  return { dialog, close, heading: h('h2', { id: titleId }, title) };
}

function show(dialog) {
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// A form in a dialog. onSubmit may throw: the error is shown and the dialog stays open. After a
// successful submit the dialog closes and then(result) runs (to show what came back, say).
// onCancel runs when the dialog closes without one (Escape, Cancel).
export function formDialog(title, fields, onSubmit, { submitLabel = 'Save', danger = false, onCancel, then } = {}) {
  let submitted = false;
  const { dialog, close, heading } = modal(title, () => {
    if (!submitted) onCancel?.();
  });
  const errors = errorBox();
  const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submitLabel);
  const form = h('form', { class: 'stack', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    submit.disabled = true;
    let result;
    try {
      result = await onSubmit();
    } catch (error) {
      errors.textContent = describeError(error);
      submit.disabled = false;
      return;
    }
    submitted = true;
    close();
    then?.(result);
  } } }, heading, fields, errors,
  h('div', { class: 'row' }, submit, button('Cancel', close, { class: 'secondary' })));
  dialog.append(form);
  show(dialog);
  const first = form.querySelector('input, select, textarea');
  (first || submit).focus();
  return dialog;
}

// Asks before something that cannot be undone.
export function confirmDialog(title, message, confirmLabel, action) {
  return formDialog(title, [h('p', {}, message)], action, { submitLabel: confirmLabel, danger: true });
}

// Shows a secret (an API key, an invite link, backup codes) once, with a Copy button. When the
// dialog closes the text is wiped and the dialog removed: the secret does not stay in the page.
export function secretDialog(title, secret, warning) {
  const lines = Array.isArray(secret) ? [...secret] : [secret];
  const list = lines.length > 1;
  const value = h(list ? 'ul' : 'p', { class: list ? 'secret codes' : 'secret', id: uid('secret'), tabindex: '0', 'aria-label': title },
    list ? lines.map((line) => h('li', {}, line)) : lines[0]);
  const { dialog, close, heading } = modal(title, () => {
    value.textContent = '';
    lines.length = 0;
  });
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const copy = button('Copy', async () => {
    try {
      await navigator.clipboard.writeText(lines.join('\n'));
      status.textContent = 'Copied to the clipboard.';
    } catch {
      status.textContent = 'Copying was not allowed here: select the text and copy it yourself.';
    }
  }, { class: 'primary', dataset: { copy: 'secret' } });
  dialog.append(h('div', { class: 'stack' }, heading,
    h('p', { class: 'notice warning' }, warning), value, status,
    h('div', { class: 'row' }, copy, button('Done', close, { class: 'secondary' }))));
  show(dialog);
  copy.focus();
  return dialog;
}
