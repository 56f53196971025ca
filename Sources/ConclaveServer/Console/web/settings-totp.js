// Two-step verification (TOTP): enrol (secret and otpauth URI shown as text; no QR library is
// embedded), confirm with a first code (the ten backup codes are shown once), turn off with a code.
// GET /me says whether TOTP is on, so only the path that applies is offered; a change made
// elsewhere meanwhile still gets the server's answer (409 already on, 404 not on) explained.
import { api } from './api.js';
import { button, field, h, replace, toast } from './dom.js';
import { describeError, errorBox, secretDialog } from './dialogs.js';
import { withReauth } from './reauth.js';

function codeInput(id) {
  return h('input', { name: 'code', id, autocomplete: 'off', inputmode: 'numeric', required: true, maxlength: 32, spellcheck: 'false' });
}

function enrolment(box, errors) {
  const start = button('Set up two-step verification', async () => {
    errors.textContent = '';
    try {
      const { result } = await withReauth((proof) => api('POST', '/api/v1/auth/totp/enroll', proof));
      showPending(box, errors, result);
    } catch (error) {
      errors.textContent = error.status === 409
        ? 'Two-step verification is already on. To set it up again, turn it off first.'
        : describeError(error);
    }
  }, { class: 'primary', id: 'totp-enroll' });
  return start;
}

function showPending(box, errors, enrollment) {
  const code = codeInput('totp-confirm-code');
  const form = h('form', { class: 'stack narrow', 'aria-label': 'Confirm two-step verification', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      const { result } = await withReauth((proof) => api('POST', '/api/v1/auth/totp/confirm', { code: code.value.replace(/\s+/g, ''), ...proof }));
      renderTotp(box);
      toast('Two-step verification is on.');
      const others = result.sessions_revoked;
      secretDialog('Backup codes', result.backup_codes,
        `Two-step verification is on${others ? ` and ${others} other session${others === 1 ? ' was' : 's were'} signed out` : ''}. `
        + 'Save these ten backup codes now: each signs you in once if you lose your authenticator, and they are shown only this once.');
    } catch (error) {
      code.value = '';
      errors.textContent = describeError(error);
    }
  } } },
  h('p', {}, 'Add this account to your authenticator app with the secret (or the otpauth link), then enter the 6-digit code it shows.'),
  h('p', { class: 'label' }, 'Secret'),
  h('p', { class: 'secret', id: 'totp-secret', tabindex: '0' }, enrollment.secret),
  h('p', { class: 'label' }, 'otpauth link'),
  h('p', { class: 'secret', id: 'totp-uri', tabindex: '0' }, enrollment.otpauth_uri),
  field('Code from the app', code),
  errors,
  h('div', { class: 'row' },
    h('button', { type: 'submit', class: 'primary', id: 'totp-confirm' }, 'Turn on'),
    button('Cancel', () => renderTotp(box), { class: 'secondary' })));
  replace(box, form);
  code.focus();
}

function disableForm(box, errors) {
  const code = codeInput('totp-disable-code');
  return h('form', { class: 'inline-form', 'aria-label': 'Turn off two-step verification', on: { submit: async (event) => {
    event.preventDefault();
    errors.textContent = '';
    try {
      await withReauth((proof) => api('DELETE', '/api/v1/auth/totp', { code: code.value.replace(/\s+/g, ''), ...proof }));
      toast('Two-step verification is off.');
      renderTotp(box);
    } catch (error) {
      code.value = '';
      errors.textContent = error.status === 404 ? 'Two-step verification is not on.' : describeError(error);
    }
  } } },
  field('Code or backup code', code), h('button', { type: 'submit', class: 'danger', id: 'totp-disable' }, 'Turn off'));
}

async function renderTotp(box) {
  const errors = errorBox();
  let enabled = null;
  try {
    enabled = (await api('GET', '/api/v1/me')).totp_enabled ?? null;
  } catch {
    // Unknown: both paths are offered below and the server explains which one applies.
  }
  replace(box,
    h('p', { class: 'hint', id: 'totp-state' }, enabled === true
      ? 'Two-step verification is on: a code from your authenticator app is asked for after your password at sign-in.'
      : enabled === false
        ? 'Two-step verification is off. Turn it on to be asked for a code from an authenticator app after your password.'
        : 'A code from an authenticator app is asked for after your password at sign-in.'),
    enabled === true ? null : h('div', { class: 'row' }, enrolment(box, errors)),
    enabled === false ? null : h('h3', {}, 'Turn off'),
    enabled === false ? null : disableForm(box, errors),
    errors);
}

export function totpSection() {
  const box = h('div', { id: 'totp-box' });
  renderTotp(box);
  return h('section', { 'aria-labelledby': 'totp-title' }, h('h2', { id: 'totp-title' }, 'Two-step verification'), box);
}
