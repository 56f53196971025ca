// The signed-in person's own account: password, two-step verification, passkeys, sessions.
import { listAll } from './api.js';
import { h, replace, toast } from './dom.js';
import { cleanName } from './text.js';
import { describeError } from './dialogs.js';
import { passwordSection } from './settings-password.js';
import { totpSection } from './settings-totp.js';
import { renderPasskeys } from './settings-passkeys.js';
import { renderSessions } from './settings-sessions.js';

export async function renderSettings(main, context) {
  const passkeys = h('div', { id: 'passkeys-box' });
  const sessionsBox = h('div', { id: 'sessions-box' });
  async function reload() {
    const sessions = await listAll('/api/v1/auth/sessions');
    renderSessions(sessionsBox, sessions, reload);
    await renderPasskeys(passkeys, sessions);
  }
  replace(main, h('div', { class: 'page settings' },
    h('h1', {}, 'Settings'),
    h('p', { class: 'hint' }, `Signed in as ${cleanName(context.me.name)}${context.me.email ? ` (${context.me.email})` : ''}`),
    passwordSection(),
    totpSection(),
    h('section', { 'aria-labelledby': 'passkeys-title' }, h('h2', { id: 'passkeys-title' }, 'Passkeys'), passkeys),
    h('section', { 'aria-labelledby': 'sessions-title' }, h('h2', { id: 'sessions-title' }, 'Sessions'), sessionsBox)));
  await reload().catch((error) => toast(describeError(error), 'error'));
}
