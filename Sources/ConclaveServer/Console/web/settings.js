// The signed-in person's own account: password, TOTP, passkeys, sessions.
import { h, replace } from './dom.js';

export async function renderSettings(main) {
  replace(main, h('div', { class: 'page' }, h('h1', {}, 'Settings')));
}
